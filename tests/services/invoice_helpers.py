"""Small builders shared by the invoicing tests."""

from sqlalchemy import select

from db.models import CatalogItem, Patient, PromotionCampaign
from services.invoicing import CartItem, CartRequest


def item_id(db, code):
    with db.session(write=False) as session:
        return session.scalar(select(CatalogItem.id).where(CatalogItem.code == code))


def a_patient(db, offset=0):
    with db.session(write=False) as session:
        return session.scalars(select(Patient.id).order_by(Patient.name).offset(offset)).first()


def promotion(db, code):
    with db.session(write=False) as session:
        return session.scalars(
            select(PromotionCampaign).where(PromotionCampaign.campaign_code == code)
        ).one()


def cart(db, *codes, patient=None, promo_codes=()):
    return CartRequest(
        patient_id=patient or a_patient(db),
        items=tuple(CartItem(item_id(db, code)) for code in codes),
        codes=tuple(promo_codes),
    )

"""Campaigns (issue #16): the template library, audiences, campaigns and their launch,
results with the A/B test. Sending is services.campaign_sender's; consent is
services.consent's."""

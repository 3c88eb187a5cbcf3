"""Use cases: each public function is one transaction over a db.engine.Database."""

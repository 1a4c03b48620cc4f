"""gunicorn entry point: ``gunicorn afterclasses_ingest.wsgi:application``."""
from afterclasses_ingest import create_app

application = create_app()

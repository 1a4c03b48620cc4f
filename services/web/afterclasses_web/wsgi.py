"""gunicorn entry point: ``gunicorn afterclasses_web.wsgi:application``."""
from afterclasses_web import create_app

application = create_app()
# the gazetteer takes about half a second to parse: once per worker, before the first parent
application.extensions["afterclasses_web"].places  # noqa: B018

"""The citizens' forms (Flask-WTF) and their translation to and from ingest's submissions API:
``citizens`` (the forms), ``bodies`` (form ↔ submission), ``errors`` (ingest's 422 → the form).

WTForms checks only what needs no knowledge of the catalog: the CSRF token. Every rule of the
catalog belongs to ingest (``afterclasses.contracts.schemas``): a form becomes a
submission body as typed (numbers parsed when they parse, blanks left out) and ingest's 422
``details`` are put back next to the fields they name (:func:`attach_errors`), so a rule changed
in ingest never needs a change here.
"""
from afterclasses_web.forms.bodies import Built, correction_body, new_activity_body, prefill, provider_body
from afterclasses_web.forms.citizens import (
    DOWN,
    EXPIRED,
    TOO_MANY,
    ActivityFieldsForm,
    CorrectionForm,
    NewActivityForm,
    ProviderForm,
    SubmissionForm,
    TextForm,
)
from afterclasses_web.forms.errors import GROUP_LEGENDS, attach_errors, error_summary, group_anchor

__all__ = ["DOWN", "EXPIRED", "GROUP_LEGENDS", "TOO_MANY", "ActivityFieldsForm", "Built", "CorrectionForm",
           "NewActivityForm", "ProviderForm", "SubmissionForm", "TextForm", "attach_errors", "correction_body",
           "error_summary", "group_anchor", "new_activity_body", "prefill", "provider_body"]

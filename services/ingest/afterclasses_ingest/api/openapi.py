"""The ingest API's OpenAPI document (served at /v1/openapi.json)."""
from __future__ import annotations

from apispec import APISpec

from afterclasses.contracts.schemas import ActivityDocSchema, ProviderDocSchema
from afterclasses.openapi import BAD_INPUT, DOWN, EDITOR, error, json_body, ok
from afterclasses.web import IDEMPOTENCY_KEY
from afterclasses_ingest import schemas

DESCRIPTION = ("Submissions in (anyone), the editors' review (bearer token of an editor), and the live "
               "catalog. An approval writes the entry, its audit and its event in one transaction.")


def _id(name: str) -> dict:
    return {"in": "path", "name": name, "required": True, "schema": {"type": "string"}}


def build(spec: APISpec) -> None:
    # the provider first: the activity's nested provider then refers to it (not a second copy)
    spec.components.schema("Provider", schema=ProviderDocSchema)
    spec.components.schema("Activity", schema=ActivityDocSchema)
    for name, schema in (("ActivitySubmission", schemas.ActivitySubmissionSchema),
                         ("ProviderSubmission", schemas.ProviderSubmissionSchema),
                         ("EditSubmission", schemas.EditSubmissionSchema)):
        spec.components.schema(name, schema=schema)
    submission = {"type": "object", "properties": {
        "id": {"type": "string"}, "kind": {"type": "string", "enum": list(schemas.KINDS)},
        "status": {"type": "string", "enum": ["pending", "approved", "rejected", "importing"]},
        "target_id": {"type": "string", "nullable": True}, "created_at": {"type": "string", "format": "date-time"},
        "decided_at": {"type": "string", "format": "date-time", "nullable": True},
        "note": {"type": "string", "nullable": True}, "result_id": {"type": "string", "nullable": True}}}
    review_item = {"type": "object", "description": "a submission with its payload and its diff against the live "
                   "entry (`stale` when the entry changed since it was written)", "additionalProperties": True}
    editor = [{"bearer": []}]

    spec.path("/v1/submissions", operations={"post": {
        "summary": "Submit a new activity, a new provider, or a correction",
        "parameters": [{"in": "header", "name": "Idempotency-Key", "required": False,
                        "description": "the same key again returns the submission stored the first time; "
                                       "with another body it is a 422",
                        "schema": {"type": "string", "pattern": f"^{IDEMPOTENCY_KEY.pattern}$"}}],
        "requestBody": json_body({"oneOf": [{"$ref": "#/components/schemas/ActivitySubmission"},
                                            {"$ref": "#/components/schemas/ProviderSubmission"},
                                            {"$ref": "#/components/schemas/EditSubmission"}]},
                                 "`kind` picks the shape"),
        "responses": {"202": ok("stored, waiting for review", submission), **BAD_INPUT, **DOWN}}})
    spec.path("/v1/submissions/{submission_id}", operations={"get": {
        "summary": "A submission's status and the editor's note", "parameters": [_id("submission_id")],
        "responses": {"200": ok("the submission", submission), "404": error("no such submission")}}})
    spec.path("/v1/catalog/activities/{activity_id}", operations={"get": {
        "summary": "One live activity as the catalog holds it", "parameters": [_id("activity_id")],
        "responses": {"200": ok("the activity", {"$ref": "#/components/schemas/Activity"}),
                      "404": error("no such activity")}}})
    spec.path("/v1/catalog/providers/{provider_id}", operations={"get": {
        "summary": "One provider as the catalog holds it", "parameters": [_id("provider_id")],
        "responses": {"200": ok("the provider", {"$ref": "#/components/schemas/Provider"}),
                      "404": error("no such provider")}}})
    spec.path("/v1/catalog/activities/{activity_id}/history", operations={"get": {
        "summary": "The audit trail: who, when, field, old, new", "security": editor,
        "parameters": [_id("activity_id")],
        "responses": {"200": ok("changes, newest first"), **EDITOR, "404": error("no such activity")}}})
    spec.path("/v1/review/queue", operations={"get": {
        "summary": "Pending submissions, oldest first", "security": editor,
        "parameters": [{"in": "query", "schema": schemas.QueueSchema}],
        "responses": {"200": ok("one page", {"type": "object", "properties": {
            "total": {"type": "integer"}, "page": {"type": "integer"}, "per_page": {"type": "integer"},
            "items": {"type": "array", "items": review_item}}}), **EDITOR, **BAD_INPUT}}})
    spec.path("/v1/review/{submission_id}", operations={"get": {
        "summary": "One submission with its diff", "security": editor, "parameters": [_id("submission_id")],
        "responses": {"200": ok("the submission", review_item), **EDITOR, "404": error("no such submission")}}})
    spec.path("/v1/review/{submission_id}/approve", operations={"post": {
        "summary": "Apply a submission to the catalog", "security": editor, "parameters": [_id("submission_id")],
        "requestBody": json_body(schemas.DecisionSchema),
        "responses": {"200": ok("approved", submission), **EDITOR, "404": error("no such submission"),
                      "409": error("already decided, or a stale correction approved without `force`"),
                      **BAD_INPUT}}})
    spec.path("/v1/review/{submission_id}/reject", operations={"post": {
        "summary": "Reject a submission with a note the submitter sees", "security": editor,
        "parameters": [_id("submission_id")], "requestBody": json_body(schemas.RejectionSchema),
        "responses": {"200": ok("rejected", submission), **EDITOR, "404": error("no such submission"),
                      "409": error("already decided"), **BAD_INPUT}}})
    spec.path("/v1/auth/sessions", operations={"post": {
        "summary": "Sign an editor in: a short-lived bearer token",
        "requestBody": json_body(schemas.SignInSchema),
        "responses": {"201": ok("signed in", {"type": "object", "properties": {
            "token": {"type": "string"}, "expires_at": {"type": "string", "format": "date-time"},
            "name": {"type": "string"}, "roles": {"type": "array", "items": {"type": "string"}}}}),
            "401": error("wrong username or password (one message for both)"), **BAD_INPUT}}})
    spec.path("/v1/auth/sessions/current", operations={"delete": {
        "summary": "Sign out: revoke the presented token", "security": editor,
        "responses": {"204": ok("revoked"), "401": error("no known token")}}})

"""Validates an OpenAPI document (the file named by the first argument) against the
OpenAPI 3.1 specification. Exit 0 and 'valid' when it holds, 1 and the reasons when not."""
import json
import sys

from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

with open(sys.argv[1], encoding="utf-8") as f:
    doc = json.load(f)
if not str(doc.get("openapi", "")).startswith("3.1"):
    print(f"not an OpenAPI 3.1 document: openapi = {doc.get('openapi')!r}")
    sys.exit(1)
try:
    validate(doc)
except OpenAPIValidationError as e:
    print(f"invalid: {e}")
    sys.exit(1)
print("valid")

"""Checks for ops/validate: python3 ops/validate.py OPENAPI_YAML COMPOSE_YAML COMPOSE_SCHEMA_JSON.

Prints one line per check; on a failure prints every error found, with where it is, and exits 1.
"""
import json
import os
import sys

import jsonschema
import yaml
from openapi_spec_validator import OpenAPIV31SpecValidator
from openapi_spec_validator.readers import read_from_filename


def where(path):
    return "/".join(str(part) for part in path) or "(document root)"


def check_openapi(filename):
    spec, base_uri = read_from_filename(filename)
    errors = list(OpenAPIV31SpecValidator(spec, base_uri=base_uri).iter_errors())
    for error in errors:
        print(f"openapi: {filename}: at {where(error.absolute_path)}: {error.message}", file=sys.stderr)
    if not errors:
        print(f"openapi: valid OpenAPI {spec.get('openapi')} ({len(spec.get('paths') or {})} paths)")
    return not errors


def check_compose(filename, schema_filename):
    if not os.path.isfile(schema_filename):
        print(f"compose: skipped, schema absent ({schema_filename})")
        return True
    with open(schema_filename) as f:
        schema = json.load(f)
    with open(filename) as f:
        document = yaml.safe_load(f)   # resolves the file's anchors and `<<` merges, as Compose does
    validator_class = jsonschema.validators.validator_for(schema, default=jsonschema.Draft7Validator)
    validator_class.check_schema(schema)
    errors = sorted(validator_class(schema).iter_errors(document), key=lambda e: list(e.absolute_path))
    for error in errors:
        print(f"compose: {filename}: at {where(error.absolute_path)}: {error.message}", file=sys.stderr)
    if not errors:
        print(f"compose: valid against {os.path.basename(schema_filename)}")
    return not errors


def main(openapi_file, compose_file, compose_schema):
    ok = True
    for name, check in (("openapi", lambda: check_openapi(openapi_file)),
                        ("compose", lambda: check_compose(compose_file, compose_schema))):
        try:
            ok = check() and ok
        except Exception as error:   # unreadable file, YAML syntax error, broken schema…
            print(f"{name}: {type(error).__name__}: {error}", file=sys.stderr)
            ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    sys.exit(main(*sys.argv[1:]))

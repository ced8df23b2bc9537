"""What the Open edX front ends do to keys: camelCase every response key, snake_case every request key.

Word splitting follows lodash's ``words`` for the characters that occur in identifiers (lower/upper case runs and
digit runs are words), which is what ``camelCaseObject`` / ``snakeCaseObject`` of frontend-platform use.
"""

import re

WORD = re.compile(r"[A-Z]{2,}(?=[A-Z][a-z]|\d|\b|_)|[A-Z]?[a-z]+|[A-Z]+|\d+")


def words(key: str) -> list[str]:
    return WORD.findall(key)


def camel_case(key: str) -> str:
    parts = [w.lower() for w in words(key)]
    return parts[0] + "".join(p.capitalize() for p in parts[1:]) if parts else ""


def snake_case(key: str) -> str:
    return "_".join(w.lower() for w in words(key))


def camel_case_object(value):
    if isinstance(value, dict):
        return {camel_case(k): camel_case_object(v) for k, v in value.items()}
    if isinstance(value, list):
        return [camel_case_object(v) for v in value]
    return value


def snake_case_object(value):
    if isinstance(value, dict):
        return {snake_case(k): snake_case_object(v) for k, v in value.items()}
    if isinstance(value, list):
        return [snake_case_object(v) for v in value]
    return value

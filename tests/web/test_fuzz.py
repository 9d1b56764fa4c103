"""A bounded fuzz run of the member-services API, in-process, driven by its own OpenAPI
schema (read from /openapi.json with the staff token). Every operation gets EXAMPLES
generated calls (the same ones each run): calls that follow the schema, and the same
with one thing wrong (no token, an odd path or query value, another body, one body
field replaced by any JSON value or by an odd text such as a lone surrogate). Every
answer must be below 500, carry a status code the schema lists for that operation,
and match the schema it gives for that status.

Schemathesis does this, but no release of it fits Rasa 3.6's pins (jsonschema 4.17.3,
attrs 22.1.0, anyio 4, pytest 8.3): the one pip resolves, 3.14.2, cannot import with
Werkzeug 3, rejects OpenAPI 3.1 and expects requests' responses from the test client.
So this runs on what schemathesis itself runs on: hypothesis and hypothesis-jsonschema.
"""

import json
import urllib.parse
from datetime import datetime, timedelta, timezone

import jsonschema
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

from bot.web.app import create_app

TOKEN = "fuzz-test-token-" + "x" * 20
AUTH = {"Authorization": f"Bearer {TOKEN}"}
EXAMPLES = 100
SPEC = create_app().openapi()
OPERATIONS = [(method, path) for path, ops in SPEC["paths"].items() for method in ops]
ODD_TEXT = st.sampled_from(["\ud800", "a\x00b", "x\udfff", "19700101", "DEMO1001'--", "A" * 40, " ", "%"])
TEXT = st.one_of(st.text(max_size=30), ODD_TEXT)
URL_TEXT = TEXT.filter(lambda s: s.strip(".") and "/" not in s)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=6,
)


def inline(node, components):
    """The schema with every #/components/schemas/... reference replaced by its target."""
    if isinstance(node, dict):
        if "$ref" in node:
            target = components[node["$ref"].rsplit("/", 1)[-1]]
            return inline({**target, **{k: v for k, v in node.items() if k != "$ref"}}, components)
        return {k: inline(v, components) for k, v in node.items()}
    if isinstance(node, list):
        return [inline(v, components) for v in node]
    return node


@pytest.fixture(scope="module")
def world():
    """The app with a staff token, its schema as served, and a record of each kind."""
    from bot import grievances, transport
    from bot.second_opinions import RequestDraft, open_request

    patch = pytest.MonkeyPatch()
    patch.setenv("STAFF_API_TOKEN", TOKEN)
    client = TestClient(create_app())
    spec = client.get("/openapi.json", headers=AUTH).json()
    now = datetime.now(timezone.utc)
    draft = RequestDraft(
        plan="khs",
        reason="not_improving",
        reason_text="not better",
        initial_provider="Dr. Fuzz",
        initial_specialty=None,
        initial_recommendation="rest",
        initial_date_text=None,
        initial_date=None,
        requested_by="member",
        network="out_of_network",
        preferred_provider=None,
        urgency="routine",
    )
    request = open_request(draft, "fuzz-conv", "rest", member_id="DEMO1001", now=now)
    ride = transport.request_ride(
        transport.RideDraft(
            plan="khs",
            pickup_address="1 Main St",
            companion=False,
            mobility="walks",
            appointment_at=now + timedelta(days=3),
            appointment_text=None,
        ),
        "fuzz-conv",
        "DEMO1001",
        request.reference,
        now=now,
    )
    grievance = grievances.file_grievance(
        "khs",
        "handling",
        "nobody called",
        False,
        "fuzz-conv",
        "DEMO1001",
        request.reference,
        now=now - timedelta(days=40),
    )
    known = {
        "requests": [request.reference, request.reference.lower()],
        "rides": [ride.reference],
        "grievances": [grievance.reference],
        "request": [request.reference],
        "member_id": ["DEMO1001", "demo-1001", "FUZZ0001"],
        "MemberIn": [
            {"first_name": "Ana", "last_name": "Fuzz", "dob": "1980-02-29", "plan": "hpsj"},
            {
                "first_name": "Ana",
                "last_name": "Fuzz",
                "dob": "1999-12-31",
                "plan": "khs",
                "phone": "+1 (559) 555-0123",
                "language": "es",
            },
        ],
        "StatusPatch": [
            {"status": "in_review", "note": "a nurse looks"},
            {"status": "denied", "reasons": "A network provider is available."},
        ],
        "RidePatch": [{"status": "scheduled"}, {"status": "cancelled", "note": None}],
        "GrievancePatch": [{"status": "acknowledged", "note": "called"}, {"status": "resolved"}],
    }
    yield client, spec, known
    patch.undo()


def _valid(param, path, components, known):
    valid = from_schema(inline(param["schema"], components))
    name = path.split("/")[2] if param["name"] == "reference" else param["name"]
    return st.sampled_from(known[name]) | valid if name in known else valid


def _text(prop):
    return prop.get("type") == "string" or {"type": "string"} in prop.get("anyOf", [])


def _with(calls, part, key, values):
    """The same calls with one part (a path or query value, a body field) replaced."""
    return st.tuples(calls, values).map(lambda t: {**t[0], part: {**t[0][part], key: t[1]}})


def calls(op, path, components, known):
    """Calls that follow the schema, and the same with one thing wrong: the token, a path
    or query value, the whole body, or one body field (any JSON, or an odd text)."""
    params = op.get("parameters", [])
    body = st.none()
    if "requestBody" in op:
        schema = inline(op["requestBody"]["content"]["application/json"]["schema"], components)
        body = st.sampled_from(known[schema["title"]]) | from_schema(schema)
    good = st.fixed_dictionaries(
        {
            "path": st.fixed_dictionaries(
                {p["name"]: _valid(p, path, components, known) for p in params if p["in"] == "path"}
            ),
            "query": st.fixed_dictionaries(
                {p["name"]: st.none() | _valid(p, path, components, known) for p in params if p["in"] == "query"}
            ),
            "body": body,
            "token": st.just(True),
        }
    )
    variants = [good, good.map(lambda c: {**c, "token": False})]
    variants += [_with(good, p["in"], p["name"], URL_TEXT) for p in params]
    if "requestBody" in op:
        variants += [
            good.map(lambda c: {**c, "body": None}),
            st.tuples(good, JSON).map(lambda t: {**t[0], "body": t[1]}),
        ]
        variants += [_with(good, "body", k, JSON) for k in schema["properties"]]
        variants += [_with(good, "body", k, ODD_TEXT) for k, v in schema["properties"].items() if _text(v)]
    return st.one_of(variants)


@pytest.mark.parametrize("method,path", OPERATIONS, ids=[f"{m.upper()} {p}" for m, p in OPERATIONS])
def test_generated_calls_get_documented_answers(world, method, path):
    client, spec, known = world
    op, components = spec["paths"][path][method], spec["components"]["schemas"]

    @settings(
        max_examples=EXAMPLES,
        deadline=timedelta(seconds=3),
        database=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @given(call=calls(op, path, components, known))
    def check(call):
        url = path.format(
            **{k: urllib.parse.quote(str(v), safe="", errors="surrogatepass") for k, v in call["path"].items()}
        )
        url += "?" + urllib.parse.urlencode(
            {k: str(v).lower() if isinstance(v, bool) else v for k, v in call["query"].items() if v is not None},
            errors="surrogatepass",
        )
        r = client.request(
            method,
            url,
            headers={**(AUTH if call["token"] else {}), "Content-Type": "application/json"},
            content=None if call["body"] is None else json.dumps(call["body"]),
        )
        assert r.status_code < 500, (r.status_code, r.text)
        documented = op["responses"].get(str(r.status_code))
        assert documented, f"{r.status_code} is not in the schema: {r.text[:300]}"
        schema = documented.get("content", {}).get("application/json", {}).get("schema")
        if schema:
            jsonschema.validate(r.json(), inline(schema, components), cls=jsonschema.Draft202012Validator)

    check()

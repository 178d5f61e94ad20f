"""What the engine is given: bounds on facts that durable_rules would otherwise drop in silence.

durable_rules' C core silently drops a fact holding a string of 16,777,216 bytes or more, or of
255 fields or more (measured: 254 are held, 255 are not): the complaint then reads as if the
event had not happened — compliant — and a complaint whose only facts are dropped crashes the
process. :meth:`~cppolicy.evaluation.engine.Engine.run_facts` narrows a fact that is too wide
(:func:`narrowed`) and refuses any fact still beyond these bounds (:func:`check_fact_sizes`):
an ``error`` finding, never silence. The event schema bounds free text and lists well below
them (docs/events.md), so only events that bypass it (built in Python) can reach the check.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from cppolicy.errors import EvaluationError

#: The longest string (field value or name) a fact may hold, in characters. durable_rules drops a
#: fact holding a string of 16,777,216 bytes or more without a word (the complaint then reads as
#: having no such event: compliant), and a complaint whose only facts hold one crashes the
#: process. A fact beyond this bound (a sixteenth of that; at most 4 MiB in UTF-8) is never
#: asserted: the evaluation fails, an ``error`` finding. The event schema bounds free text well
#: below it (docs/events.md), so only events that bypass it (the Python API) can reach it.
FACT_STRING_LIMIT = 1 << 20
#: The most fields a fact may hold. durable_rules silently drops a fact of 255 fields or more
#: (measured: 254 are held, 255 are not); a fact has about 15 to 40. One beyond this bound (an
#: event listing hundreds of items, each a field ``<list>__<item>``) is first :func:`narrowed`;
#: one still beyond it is never asserted: the evaluation fails, an ``error`` finding.
FACT_FIELD_LIMIT = 200
# Why bounds checked before asserting, rather than a count of what the engine holds afterwards:
# a sentinel acknowledging every fact (``$ex: asof_t``, counted against the facts asserted) was
# tried. The C core then stores every fact, and on the benchmark's archive it aborted
# (``free(): invalid pointer``) and refused identical archive-scope facts as already observed.


def check_fact_sizes(facts: Sequence[Mapping[str, Any]]) -> None:
    """Raise :class:`~cppolicy.errors.EvaluationError` when a fact holds more than
    :data:`FACT_FIELD_LIMIT` fields or a string (a field's value or name) longer than
    :data:`FACT_STRING_LIMIT`: the engine could silently drop it."""
    for fact in facts:
        if len(fact) > FACT_FIELD_LIMIT:
            raise EvaluationError(
                f"fact {str(fact.get('id'))[:128]!r} holds {len(fact):,} fields, more than the "
                f"{FACT_FIELD_LIMIT} the engine is given (durable_rules silently drops facts of 255 "
                "fields): not evaluated, not compliance"
            )
        for key, value in fact.items():
            for text, what in ((key, "a field name"), (value, f"field {key[:80]!r}")):
                if isinstance(text, str) and len(text) > FACT_STRING_LIMIT:
                    raise EvaluationError(
                        f"fact {str(fact.get('id'))[:128]!r}: {what} holds {len(text):,} characters, more than "
                        f"the {FACT_STRING_LIMIT:,} the engine is given (durable_rules silently drops facts "
                        "holding strings of 16 MiB): not evaluated, not compliance"
                    )


def narrowed(fact: Mapping[str, Any], used: frozenset[str]) -> dict[str, Any]:
    """``fact`` (a copy) without the list-item fields (``<list>__<item>``) that no condition reads
    (``used``: the module's referenced fields), when it has more than :data:`FACT_FIELD_LIMIT`
    fields: an institution-level report listing hundreds of ``complaint_ids`` is judged, not refused."""
    if len(fact) <= FACT_FIELD_LIMIT:
        return dict(fact)
    return {k: v for k, v in fact.items() if "__" not in k or k in used or k.partition("__")[0] in used}

"""Generate the bundled example archive ``examples/archive-2024-2025.jsonl.gz`` and its manifest.

About 450 complaints received 2019-01-01 … 2025-12-15 at one bank's head office, branches,
sub-branches and outlets, plus institution-level events, written as complaint events (schema
``complaint-event/v1``, docs/events.md); the file name predates the extension back to 2019.
Each complaint is judged by the rule modules in force on its **receipt date** that apply to it
(cppolicy/selection.py):

- received up to 2020-02-29: 银监发〔2012〕13号 (``cbrc-2012-13``) with point 九 (15 / 60 working
  days and extensions);
- received from 2020-03-01: the 2012 notice without point 九 (superseded, its points 七, 八, 十
  stay) and 银保监会令2020年第3号 (``cbirc-2020-3``: 15 / 30 / 60 calendar days, pauses, restart,
  decision contents, review, major complaints);
- forwarded by the PBoC and received from 2020-11-01: also 中国人民银行令〔2020〕第5号
  (``pbc-2020-5``: reply in 15 days, extension approval and reason, feedback to the PBoC branch).

Every complaint is built for one *scenario*: compliant with every module that judges it, or
breaching one obligation on purpose (sometimes under two modules at once, which the manifest
says). The manifest ``archive-2024-2025.scenarios.json`` lists, per complaint, the modules that
judge it and, per module, the exact sorted list of finding codes it should produce at the audit's
as-of time; ``archive_expected`` lists the institution-level findings (``complaint_id`` null) of
the modules' archive-scope rules (2012 points 十五–十六, Order No. 3 Art. 8 disclosures, PBoC
Art. 56 self-assessments).

The expectations are computed by the package's own reading of the three texts
(:func:`eval_notice2012.evaluate_2012`, :func:`eval_order3.evaluate_o3`,
:func:`eval_pboc.evaluate_pbc`, :func:`eval_archive.evaluate_archive`), not by cppolicy: working
days come straight from ``holidays.China`` and its ``weekend_workdays``, calendar days are plain
date arithmetic, the day of receipt is not counted, and a limit ends at 24:00 Asia/Shanghai of its
last day. Generation fails unless that reading gives exactly the codes each scenario was designed
for (:func:`design.designed`), and unless the archive-scope findings and large-scale clusters are
exactly the designed ones (no cluster forms by accident).

Usage (through the entry script beside the archive)::

    python examples/generate_archive.py [--seed 20250101] [--out examples/archive-2024-2025.jsonl.gz]
    python examples/generate_archive.py --check     # only verify an existing archive + manifest

The output is byte-identical for the same seed: gzip with mtime 0 and no file name, keys in a
fixed order, events sorted by time then event_id, randomness only from seeded generators.

Modules, in the order the data flows:

- ``dates``: key dates, the time zone, the working-day :class:`~dates.Calendar` and time helpers;
- ``rules``: the three instruments' parameters and finding codes, restated here on purpose;
- ``institutions``, ``vocabulary``: the bank's institutions and regulators' offices; products,
  issues, texts and weighted draws;
- ``scenarios``, ``design``: the scenario tables (eras, pinned and fixed complaints) and the codes
  each scenario is designed to produce (per complaint and for the archive scope);
- ``plans``: receipt plans (era, scenario, variant, time, channel) and complaint ids;
- ``builder``, ``build_era_a``, ``build_era_b_steps``, ``build_era_b``, ``build_order3``,
  ``build_pboc``, ``complaint``: one complaint's timeline, scenario by scenario;
- ``institution_events``: the institution-level events (reports, changes, disclosures);
- ``field_check``: the field check against docs/events.md;
- ``event_sequence``, ``eval_notice2012``, ``eval_order3``, ``eval_pboc``, ``eval_complaint``,
  ``eval_archive``: the independent evaluator, one module per instrument, and the archive scope;
- ``manifest``, ``generate``, ``output``, ``verify``, ``cli``: the manifest, the whole run,
  writing, checking and the command line.
"""

"""The scenario sections of the report, one per scenario the spec names: the power and
compute-cost scenarios here, export controls in :mod:`ipposaki.report.export_controls`; each
ends with the table of its inputs."""

from __future__ import annotations

from ipposaki.report import prose
from ipposaki.report.blocks import chart, csv_link
from ipposaki.report.content import ReportTables, rows, value_at
from ipposaki.report.document import Block, Cell, Heading, Para, Table
from ipposaki.report.locale import Locale
from ipposaki.shock.result import ScenarioRun

__all__ = ["scenario_blocks"]


def scenario_blocks(
    run: ScenarioRun, tables: ReportTables, loc: Locale, pngs: dict[str, str]
) -> list[Block]:
    """A scenario's section: its own blocks by kind, then the table of its inputs."""
    blocks: list[Block] = []
    if loc.lang == "en":
        blocks.append(Para(loc.t("scenario.spec_title", title=run.result.title)))
    if run.kind == "export_controls":
        from ipposaki.report.export_controls import export_blocks

        blocks += export_blocks(run, tables, loc, pngs)
    elif run.kind == "power":
        blocks += _power_blocks(run, loc, pngs)
    elif run.kind == "compute_cost":
        blocks.append(_compute_para(run, loc))
    return blocks + _inputs_blocks(run, tables, loc)


def _power_blocks(run: ScenarioRun, loc: Locale, pngs: dict[str, str]) -> list[Block]:
    """The power scenario: demand per year with and without IOWN, the saving, and the chart."""
    stem, res = run.path.stem, run.result
    wide = res.quantiles.pivot(index="label", columns="output", values=["q05", "q50", "q95"])
    table = Table(
        f"table-power-{stem}",
        tuple(loc.t(f"scenario.col_{c}") for c in ("year", "with", "without", "saving")),
        tuple(
            (
                Cell(str(year), "t"),
                Cell(
                    f"{loc.num(row[('q50', 'twh')], 0)} "
                    f"[{loc.num(row[('q05', 'twh')], 0)}–{loc.num(row[('q95', 'twh')], 0)}]"
                ),
                Cell(loc.num(row[("q50", "twh_no_iown")], 0)),
                Cell(
                    f"{loc.num(row[('q50', 'iown_saving_twh')], 0)} "
                    f"[{loc.num(row[('q05', 'iown_saving_twh')], 0)}–"
                    f"{loc.num(row[('q95', 'iown_saving_twh')], 0)}]"
                ),
            )
            for year, row in wide.iterrows()
        ),
    )
    return [
        Para(
            loc.t(f"scenario.{run.kind}.intro", draws=f"{res.draws:,}"),
            links=csv_link(loc, f"report_scenario_{stem}.csv"),
        ),
        table,
        chart(loc, pngs, f"chart-power-{stem}", "scenario.power_chart"),
    ]


def _compute_para(run: ScenarioRun, loc: Locale) -> Para:
    """The compute-cost scenario in one paragraph: hours, price, cost, FLOPs, MFU, energy."""
    qq = run.result.quantiles.set_index("output")
    hours, cost = value_at(qq, "gpu_hours", "q50"), value_at(qq, "cost_usd", "q50")
    return Para(
        loc.t(
            f"scenario.{run.kind}.text",
            hours=loc.big(hours),
            price=loc.num(cost / hours, 2) if hours else "–",
            cost=loc.usd(cost),
            flops=loc.big(qq.loc["training_flops", "q50"], 3),
            mfu=loc.pct(qq.loc["implied_mfu", "q50"], 1, sign=False),
            energy=loc.num(qq.loc["energy_mwh", "q50"], 0),
            elow=loc.num(qq.loc["energy_mwh", "q05"], 0),
            ehigh=loc.num(qq.loc["energy_mwh", "q95"], 0),
        ),
        links=csv_link(loc, f"report_scenario_{run.path.stem}.csv"),
    )


def _inputs_blocks(run: ScenarioRun, tables: ReportTables, loc: Locale) -> list[Block]:
    """The scenario's inputs: each one's distribution, source and whether it is a guess."""
    stem = run.path.stem
    table = Table(
        f"table-inputs-{stem}",
        tuple(loc.t(f"scenario.col_{c}") for c in ("input", "dist", "source", "guess")),
        tuple(
            (
                Cell(_input_name(str(r.name), tables, loc), "t"),
                Cell(prose.distribution_text(str(r.distribution), loc), "t"),
                Cell(str(r.source), "cite"),
                Cell(loc.t("scenario.guess_mark") if r.user_guess else "", "t"),
            )
            for r in rows(run.result.inputs)
        ),
    )
    heading = Heading(
        loc.t("scenario.inputs"), links=csv_link(loc, f"report_scenario_{stem}_inputs.csv")
    )
    return [heading, table]


_PER_FIRM_INPUTS = {
    "share": "china_share_of",
    "at_risk": "at_risk_of",
    "leverage": "leverage_of",
    "reaction": "reaction_of",
}


def _input_name(name: str, tables: ReportTables, loc: Locale) -> str:
    prefix, _, firm = name.partition(":")
    if firm and prefix in _PER_FIRM_INPUTS:
        return loc.t(f"scenario.input.{_PER_FIRM_INPUTS[prefix]}", firm=tables.name(firm, loc.lang))
    key = f"scenario.input.{name}"
    return loc.t(key) if loc.has(key) else name

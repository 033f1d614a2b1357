"""`crm demo`: the demo data recorded in a running server (crm/demo.py), over its HTTP APIs.
Only Click is imported until the command runs, as for every `crm` command."""

from __future__ import annotations

import click


@click.command(
    short_help="Record the demo data (the 新城百货 story and generated deals) in a running server.",
    epilog="Exit 1 when a service refuses something. Speaks as the identity headers say: header mode only.",
)
@click.option("--url", help="The running server (default: http://127.0.0.1:<CRM_PORT>).")
@click.option("--deals", default=300, show_default=True, type=click.IntRange(0, 2000), help="Generated deals.")
@click.option("--seed", default=14, show_default=True, type=int, help="The same seed records the same deals.")
def demo(url: str | None, deals: int, seed: int) -> int:
    """Record the SuiteCRM article's 新城百货 deal (registration, activities, stage moves) and DEALS
    generated ones (two teams of reps, every stage and source, months of close dates, won, lost,
    waiting for review, in the pool) with targets for this quarter and the next, through the
    services' public APIs. Once only: a second run finds the story deal and records nothing.
    """
    import asyncio

    from crm.demo import DemoError, load
    from crm.demo_http import OverTheNetwork
    from shared.settings import Settings

    base = url or f"http://127.0.0.1:{Settings().port}"
    try:
        report = asyncio.run(load(OverTheNetwork(base), deals, seed))
    except (DemoError, OSError) as error:
        click.echo(f"crm demo: {error}", err=True)
        return 1
    if not report["loaded"]:
        click.echo(f"crm demo: already loaded (the story deal is {report['story_deal_id']}); nothing recorded")
        return 0
    outcomes = ", ".join(f"{n} {end}" for end, n in report["outcomes"].items())
    click.echo(
        f"crm demo: story deal {report['story_deal_id']}; {report['deals']} deals ({outcomes}); "
        f"{report['targets']} targets"
    )
    return 0

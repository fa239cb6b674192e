"""Entry point of the ``ipposaki`` command: the app, shared options and error handling.

Library errors (:class:`~ipposaki.errors.IpposakiError`) become one line on stderr and exit
code 2; usage errors exit 2 as well; anything else is an internal error, exit 1. The global
``--quiet`` and ``--json`` options set what commands print (:mod:`ipposaki.cli.output`).
"""

from __future__ import annotations

import logging
import re
import sys
import warnings
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
import typer.main

from ipposaki.cli import data as data_cmds
from ipposaki.cli import events as event_cmds
from ipposaki.cli import output
from ipposaki.cli import scenario as scenario_cmds
from ipposaki.cli import spillover as spillover_cmds
from ipposaki.cli.options import StoreOption, input_files
from ipposaki.cli.simulate import simulate as simulate_cmd
from ipposaki.cli.study import study as study_cmd

app = typer.Typer(
    name="ipposaki",
    help=(
        "ipposaki (一歩先): measure a market shock, trace where it spread, look one step ahead.\n\n"
        "Examples:\n\n"
        "  ipposaki demo --data ../shared/data/prices --out out/deepseek\n\n"
        "  ipposaki report examples/carry_unwind.toml --lang ja\n\n"
        "  ipposaki --json study examples/deepseek.toml --out out/study\n\n"
        "Exit codes: 0 success, 2 usage or input error, 1 internal error."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(data_cmds.app, name="data")
app.add_typer(spillover_cmds.app, name="spillover")
app.add_typer(event_cmds.app, name="events")
app.add_typer(scenario_cmds.app, name="scenario")
app.command("scan")(event_cmds.scan)
app.command("contagion")(event_cmds.contagion)
app.command("study")(study_cmd)
app.command("simulate")(simulate_cmd)

DataOption = Annotated[
    str | None,
    typer.Option(
        envvar="IPPOSAKI_DATA",
        help="Price file, or a folder holding daily.csv (e.g. ../shared/data/prices).",
    ),
]
OfflineOption = Annotated[
    bool, typer.Option(help="Without --data, use synthetic data rather than Yahoo.")
]
LangOption = Annotated[
    list[str] | None, typer.Option(help="Report languages: en, ja (repeat); default both.")
]


@app.command()
def demo(
    out: Annotated[Path, typer.Option(help="Output folder.")] = Path("out/deepseek"),
    data: DataOption = None,
    store: StoreOption = None,
    offline: OfflineOption = False,
    lang: LangOption = None,
) -> None:
    """Run the DeepSeek-shock study and write it, with its reports, into OUT.

    Example: ipposaki demo --data ../shared/data/prices --out out/deepseek --lang ja
    """
    _run_report(None, out, data, store, offline, lang)


@app.command()
def report(
    spec: Annotated[
        Path | None,
        typer.Argument(help="A study spec (TOML) on one shock; default the DeepSeek shock's."),
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Output folder; default out/<spec name>.")
    ] = None,
    data: DataOption = None,
    store: StoreOption = None,
    offline: OfflineOption = False,
    lang: LangOption = None,
) -> None:
    """Write the bilingual report of the shock in SPEC (its event, baskets, model and windows).

    Example: ipposaki report examples/carry_unwind.toml --lang ja --out out/carry_unwind
    """
    folder = out if out is not None else Path("out") / (spec.stem if spec else "deepseek")
    _run_report(spec, folder, data, store, offline, lang)


def _run_report(
    spec: Path | None,
    out: Path,
    data: str | None,
    store: Path | None,
    offline: bool,
    lang: list[str] | None,
) -> None:
    from ipposaki.cli.options import check_out
    from ipposaki.outdir import published, staged
    from ipposaki.report import LANGS, load_locale, write_report
    from ipposaki.report.content import report_tables
    from ipposaki.shock.demo import run_demo
    from ipposaki.store import Store
    from ipposaki.study.spec import load_spec

    check_out(out)
    langs = lang or list(LANGS)
    for code in langs:
        load_locale(code)  # a bad --lang fails before any work
    study_spec = load_spec(spec) if spec is not None else None
    reports = []
    with (
        staged(out, "--out", input_files()) as stage,
        output.progress_steps(5 + len(langs)) as step,
    ):

        def log(message: str) -> None:
            output.text(_cli_text(message.replace(str(stage), str(out))))

        result = run_demo(
            stage,
            data=data,
            store=Store(store),
            allow_online=not offline,
            log=log,
            spec=study_spec,
            step=step,
        )
        step("report tables")
        tables = report_tables(result)  # built once for all languages
        for code in langs:
            step(f"writing the {code} report")
            files = write_report(result, code, tables=tables)
            html, markdown = published([files.html, files.markdown], stage, out)
            output.text(f"wrote {html} and {markdown.name}")
            reports.append({"lang": code, "html": html, "markdown": markdown})
    output.result(
        {
            "out": out,
            "title": result.spec.title,
            "source": result.source,
            "synthetic": result.synthetic,
            "sessions": [asdict(s) for s in result.sessions],
            "headline": output.frame_records(
                result.headline[["exchange", "session", "symbol", "name", "ret"]]
            ),
            "reports": reports,
            "files": list(result.files),
        }
    )


def _print_version(value: bool) -> None:
    if value:
        from ipposaki import __version__

        typer.echo(f"ipposaki {__version__}")
        raise typer.Exit(0)


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Print nothing but errors (see the exit code).")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the command's result as one JSON document.")
    ] = False,
    lock_timeout: Annotated[
        str | None,
        typer.Option(
            "--lock-timeout",
            envvar="IPPOSAKI_LOCK_TIMEOUT",
            metavar="SECONDS",
            help="Wait this long for a store another process holds (default 30).",
        ),
    ] = None,
) -> None:
    """Shared options: --quiet, --json and --lock-timeout go before the command
    (ipposaki --json study ...)."""
    from ipposaki.store.store import LOCK_TIMEOUT, check_lock_timeout

    output.configure(quiet=quiet, as_json=as_json)
    LOCK_TIMEOUT.set(
        None if lock_timeout is None else check_lock_timeout(lock_timeout, "--lock-timeout")
    )
    _note_store_waits()


class _NoteHandler(logging.Handler):
    """Print the library's notices (a busy store being waited for) as one line on stderr."""

    def emit(self, record: logging.LogRecord) -> None:
        output.note(f"note: {_one_line(_cli_text(record.getMessage()))}")


def _note_store_waits() -> None:
    logger = logging.getLogger("ipposaki")
    if not any(isinstance(h, _NoteHandler) for h in logger.handlers):
        logger.addHandler(_NoteHandler(logging.INFO))
        logger.propagate = False


def _one_line(text: str) -> str:
    """Collapse a message onto one line."""
    return " ".join(str(text).split())


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: object = None,
    line: str | None = None,
) -> None:
    """Print a warning as one line on stderr, with its class and without a source path."""
    output.note(f"warning: {category.__name__}: {_one_line(str(message))}")


def _usage_line(exc: Exception) -> str:
    """One line for a Click usage error: the command, what is wrong, where to look."""
    message = _one_line(getattr(exc, "format_message", exc.__str__)()).rstrip(".")
    ctx = getattr(exc, "ctx", None)
    if ctx is not None:
        return f"error: {ctx.command_path}: {message} (see {ctx.command_path} --help)"
    return f"error: {message}"


def _flags(argv: list[str]) -> dict[str, str]:
    """Python parameter name -> command-line flag, for the command ``argv`` invokes."""
    command = typer.main.get_command(app)
    found = list(command.params)
    for token in argv:
        sub = getattr(command, "commands", {}).get(token)
        if sub is not None:
            command = sub
            found += command.params
    flags = {}
    for param in found:
        longs = [o for o in param.opts if o.startswith("--")]
        if param.name and longs:
            flags[param.name] = max(longs, key=len)
        elif param.name:
            flags[param.name] = param.name.upper()  # an argument: its metavar
    return flags


#: Library argument names that a command's option calls otherwise.
_ALIASES = {"path": ("parquet", "files"), "names": ("universe",)}


#: Code spans in library messages: an argument (`start`) or an argument with a value
#: (`non_sessions='skip'`, `lag=True`), written in Python terms.
_CODE = re.compile(r"`([a-z][a-z0-9_]*)(?:=('[^']*'|[^`]*))?`")

#: The arguments of the command being run, for messages printed while it runs.
_ARGV: list[str] = []


def _flag_of(name: str, flags: dict[str, str]) -> str | None:
    """The flag of the running command that sets the library argument ``name``, if any."""
    for alias in (name, name[:-1] if name.endswith("s") else "", *_ALIASES.get(name, ())):
        if alias in flags:
            return flags[alias]
    return None


def _cli_text(text: str, argv: list[str] | None = None) -> str:
    """A library message with its code spans in this command's terms.

    ```roll='next'``` becomes ``--roll next``, ```lag=True``` ``--lag`` and ```start```
    ``--start`` when the command has those options; a span naming no option of the command
    keeps its Python spelling.
    """
    if "`" not in text:
        return text
    flags = _flags(_ARGV if argv is None else argv)

    def one(match: re.Match[str]) -> str:
        name, value = match.group(1), match.group(2)
        flag = _flag_of(name, flags)
        if flag is None:
            return match.group(0)
        if value is None or value == "True":
            return flag
        return f"{flag} {value.strip(chr(39))}"

    return _CODE.sub(one, text)


def _in_cli_terms(exc: Exception, argv: list[str]) -> str:
    """An error's line with the library's argument names turned into this command's flags.

    The library names Python arguments (``estimation_window``, ``source/target``); the CLI
    alone knows that these are ``--estimation-window`` and ``--from/--to``.
    """
    from ipposaki.errors import InputError

    if not isinstance(exc, InputError) or str(exc) != str(
        InputError(exc.argument, exc.value, exc.allowed)
    ):
        return _cli_text(str(exc), argv)  # not an InputError, or one with its own wording
    flags = _flags(argv)
    parts = [_flag_of(part, flags) for part in exc.argument.split("/")]
    if not all(parts):
        return _cli_text(str(exc), argv)
    argument = "/".join(p for p in parts if p)
    return f"{argument}={exc.value!r} is not allowed: expected {_cli_text(exc.allowed, argv)}"


def run(argv: list[str] | None = None) -> int:
    """Run the CLI and return (and, as a script, exit with) its exit code.

    Every failure is one line on stderr: an input or usage error (library errors, and Click's
    missing or malformed options) exits 2; anything else is a bug, exit 1, and
    ``IPPOSAKI_DEBUG=1`` shows its traceback. Warnings are one line each.

    Parameters
    ----------
    argv : list of str, optional
        Arguments; ``sys.argv[1:]`` when omitted.

    Returns
    -------
    int
        0 on success, 2 for a usage or input error, 1 for an internal error.
    """
    import os

    from typer._click.exceptions import (  # typer vendors Click from 0.20 on
        ClickException,
        NoArgsIsHelpError,
    )

    from ipposaki.errors import IpposakiError

    output.configure()  # the root callback sets the mode; reset it for usage errors before it
    args = sys.argv[1:] if argv is None else argv
    _ARGV[:] = args
    debug = bool(os.environ.get("IPPOSAKI_DEBUG"))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("default")
            if not debug:
                warnings.showwarning = _show_warning
            rv = app(args=args, prog_name="ipposaki", standalone_mode=False)
        code = rv if isinstance(rv, int) else 0
    except NoArgsIsHelpError as exc:
        typer.echo(exc.format_message())  # a bare group: its help, as Click does
        code = 2
    except ClickException as exc:  # usage errors: missing or malformed options
        typer.echo(_usage_line(exc), err=True)
        code = 2
    except typer.Abort:
        typer.echo("error: aborted", err=True)
        code = 1
    except SystemExit as exc:  # a command that exits on its own
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except IpposakiError as exc:
        line = _one_line(_in_cli_terms(exc, args))
        typer.echo(f"error: {line}", err=True)  # errors show even with --quiet
        code = 2
    except Exception as exc:
        if debug:
            raise
        typer.echo(
            f"internal error: {type(exc).__name__}: {_one_line(str(exc))[:300]} "
            "(a bug; rerun with IPPOSAKI_DEBUG=1 for the traceback)",
            err=True,
        )
        code = 1
    if argv is None:
        sys.exit(code)
    return code


if __name__ == "__main__":  # pragma: no cover
    run()

"""The one place where J-Quants codes and ipposaki symbols meet.

Stocks
    J-Quants names an issue with a 5-character code: the 4-character local code (``8035``, or
    since 2024 alphanumeric, ``130A``) and a fifth digit, ``0`` for the common stock. ipposaki
    (like Yahoo) writes the common stock as ``8035.T`` and ``130A.T``. Any other fifth digit
    (a preferred share, say ``25935``) keeps all five characters: ``25935.T``.

Indices
    TOPIX is the store's built-in ``^TOPX``. The TOPIX-17 and TOPIX-33 sector indices are
    ``^TOPIX17-<S17 code>`` and ``^TOPIX33-<S33 code>``, using the sector codes of J-Quants'
    listed-company data (``S17``, ``S33``), so an index joins its members by the same code:
    electric appliances (電気機器, S33 ``3650``) is ``^TOPIX33-3650``, TOPIX-17 electric
    appliances & precision instruments (電機・精密, S17 ``9``) is ``^TOPIX17-9``. J-Quants' own
    index codes (``0040``-``0060`` for the 33 sectors, ``0080``-``0090`` for the 17, in sector
    code order) stay inside this module.

Examples
--------
>>> to_symbol("80350"), to_symbol("130A0"), to_symbol("8035")
('8035.T', '130A.T', '8035.T')
>>> to_code("8035.T"), to_code("130a.t")
('80350', '130A0')
>>> index_symbols(["TOPIX", "TOPIX33-3650", "TOPIX17-9"])
['^TOPX', '^TOPIX33-3650', '^TOPIX17-9']
>>> len(index_symbols(["TOPIX33-*"]))
33
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ipposaki.errors import InputError

__all__ = [
    "INDEX_NAMES",
    "SECTOR17",
    "SECTOR33",
    "TOPIX_SYMBOL",
    "index_code",
    "index_symbols",
    "to_code",
    "to_symbol",
]

_LOCAL = re.compile(r"^[0-9][0-9A-Z][0-9][0-9A-Z]$")
_FULL = re.compile(r"^[0-9][0-9A-Z][0-9][0-9A-Z][0-9]$")

#: ipposaki's symbol for TOPIX (the built-in instrument, on XTKS).
TOPIX_SYMBOL = "^TOPX"

#: TOPIX-33 sectors: S33 code -> Japanese name, in J-Quants' index-code order (0040 ...).
SECTOR33: dict[str, str] = {
    "0050": "水産・農林業",
    "1050": "鉱業",
    "2050": "建設業",
    "3050": "食料品",
    "3100": "繊維製品",
    "3150": "パルプ・紙",
    "3200": "化学",
    "3250": "医薬品",
    "3300": "石油・石炭製品",
    "3350": "ゴム製品",
    "3400": "ガラス・土石製品",
    "3450": "鉄鋼",
    "3500": "非鉄金属",
    "3550": "金属製品",
    "3600": "機械",
    "3650": "電気機器",
    "3700": "輸送用機器",
    "3750": "精密機器",
    "3800": "その他製品",
    "4050": "電気・ガス業",
    "5050": "陸運業",
    "5100": "海運業",
    "5150": "空運業",
    "5200": "倉庫・運輸関連業",
    "5250": "情報・通信業",
    "6050": "卸売業",
    "6100": "小売業",
    "7050": "銀行業",
    "7100": "証券、商品先物取引業",
    "7150": "保険業",
    "7200": "その他金融業",
    "8050": "不動産業",
    "9050": "サービス業",
}

#: TOPIX-17 series: S17 code -> Japanese name, in J-Quants' index-code order (0080 ...).
SECTOR17: dict[str, str] = {
    "1": "食品",
    "2": "エネルギー資源",
    "3": "建設・資材",
    "4": "素材・化学",
    "5": "医薬品",
    "6": "自動車・輸送機",
    "7": "鉄鋼・非鉄",
    "8": "機械",
    "9": "電機・精密",
    "10": "情報通信・サービスその他",
    "11": "電力・ガス",
    "12": "運輸・物流",
    "13": "商社・卸売",
    "14": "小売",
    "15": "銀行",
    "16": "金融（除く銀行）",
    "17": "不動産",
}


def _hex4(n: int) -> str:
    return f"{n:04X}"


#: ipposaki index symbol -> J-Quants index code (``0000`` is TOPIX).
_INDEX_CODES: dict[str, str] = {
    TOPIX_SYMBOL: "0000",
    **{f"^TOPIX33-{s}": _hex4(0x40 + i) for i, s in enumerate(SECTOR33)},
    **{f"^TOPIX17-{s}": _hex4(0x80 + i) for i, s in enumerate(SECTOR17)},
}

#: ipposaki index symbol -> (English name, Japanese name), for the instruments table.
INDEX_NAMES: dict[str, tuple[str, str]] = {
    TOPIX_SYMBOL: ("TOPIX", "東証株価指数（TOPIX）"),
    **{f"^TOPIX33-{s}": (f"TOPIX-33 sector {s}", f"TOPIX業種別 {n}") for s, n in SECTOR33.items()},
    **{f"^TOPIX17-{s}": (f"TOPIX-17 series {s}", f"TOPIX-17 {n}") for s, n in SECTOR17.items()},
}


def to_symbol(code: str) -> str:
    """Turn a J-Quants issue code into an ipposaki symbol.

    Parameters
    ----------
    code : str
        A 5-character J-Quants code (``80350``, ``130A0``) or a 4-character local code
        (``8035``).

    Returns
    -------
    str
        ``8035.T`` for a common stock (fifth character ``0``), else all five characters plus
        ``.T``.

    Raises
    ------
    InputError
        If ``code`` is not a J-Quants issue code.
    """
    text = str(code).strip().upper()
    if _LOCAL.match(text):
        return f"{text}.T"
    if _FULL.match(text):
        return f"{text[:4]}.T" if text[4] == "0" else f"{text}.T"
    raise InputError(
        "code",
        code,
        "a J-Quants code of 4 or 5 characters, e.g. 8035, 80350, 130A or 130A0",
    )


def to_code(symbol: str) -> str:
    """Turn an ipposaki symbol (or a J-Quants code) into the 5-character J-Quants code.

    Parameters
    ----------
    symbol : str
        ``8035.T``, ``130A.T``, ``25935.T``, or a code as :func:`to_symbol` accepts.

    Returns
    -------
    str
        The J-Quants code, e.g. ``80350``.

    Raises
    ------
    InputError
        If ``symbol`` is neither a Tokyo symbol nor a J-Quants code.
    """
    text = str(symbol).strip().upper()
    bare = text[:-2] if text.endswith(".T") else text
    if _LOCAL.match(bare):
        return f"{bare}0"
    if _FULL.match(bare):
        return bare
    raise InputError(
        "code",
        symbol,
        "a Tokyo symbol or J-Quants code, e.g. 8035.T, 130A.T, 80350 or 130A0",
    )


def index_symbols(names: Iterable[str]) -> list[str]:
    """Expand index names given by a user into ipposaki index symbols.

    Parameters
    ----------
    names : iterable of str
        ``TOPIX``; ``TOPIX33-<S33 code>`` or ``TOPIX17-<S17 code>``; ``TOPIX33-*`` or
        ``TOPIX17-*`` for the whole series. A leading ``^`` is allowed.

    Returns
    -------
    list of str
        Symbols, in the order given, without repeats.

    Raises
    ------
    InputError
        If a name is not one of those.
    """
    out: list[str] = []
    for raw in names:
        name = str(raw).strip().upper().lstrip("^")
        if name in ("TOPIX", "TOPX"):
            found = [TOPIX_SYMBOL]
        elif name in ("TOPIX33-*", "TOPIX17-*"):
            prefix = f"^{name[:-1]}"
            found = [s for s in _INDEX_CODES if s.startswith(prefix)]
        else:
            found = [f"^{name}"] if f"^{name}" in _INDEX_CODES else []
        if not found:
            raise InputError(
                "indices",
                raw,
                "TOPIX, TOPIX33-<S33 code> (e.g. TOPIX33-3650), TOPIX17-<S17 code> "
                "(e.g. TOPIX17-9), TOPIX33-* or TOPIX17-*",
            )
        out += [s for s in found if s not in out]
    return out


def index_code(symbol: str) -> str:
    """Return J-Quants' index code for an ipposaki index symbol.

    Parameters
    ----------
    symbol : str
        A symbol returned by :func:`index_symbols`.

    Returns
    -------
    str
        The 4-character index code, e.g. ``004F`` for ``^TOPIX33-3650``.

    Raises
    ------
    InputError
        If ``symbol`` is not a J-Quants index symbol.
    """
    if symbol not in _INDEX_CODES:
        raise InputError("index", symbol, "^TOPX, ^TOPIX33-<S33 code> or ^TOPIX17-<S17 code>")
    return _INDEX_CODES[symbol]

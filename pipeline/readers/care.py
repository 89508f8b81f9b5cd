"""The rows about the care asked for: type of care and product code, hulpvorm (ambulant
or verblijf), kader and maatregel, PGB."""

from __future__ import annotations

import re
from collections.abc import Callable

from pipeline.readers import answers as nz
from pipeline.readers.value import (
    Read,
    Value,
    doubt,
    read_with,
    sure,
)


def type_and_code(text: str) -> tuple[str | None, str | None]:
    code = nz.productcode(text)
    t = nz.PRODUCTCODE.sub("", text)
    t = re.sub(
        r"\b(regionale\s+)?(product\s*code|productcode|prod\.?\s*code|code)\b\s*:?",
        "",
        t,
        flags=re.I,
    )
    t = re.sub(r"\(\s*\)", "", t)
    t = re.sub(
        r"^\W*(type\s+hulp|soort\s+hulp|hulpvorm|soort|type)\s*:\s*",
        "",
        t.strip(),
        flags=re.I,
    )
    t = re.sub(r"^\W*(namelijk|nl\.|te weten|en wel)\s+", "", t.strip(), flags=re.I)
    t = re.sub(r"\s+", " ", t.replace("\n", " ")).strip(" -–—,.:;/")
    t = re.sub(r"\s*\($", "", t).strip(
        " -–—,.:;/"
    )  # a bracket left open by the code taken out
    if t.count("(") < t.count(")") and t.endswith(")"):
        t = t[:-1].strip(" -–—,.:;/")
    return (t or None), code


ONLY_HULPVORM = re.compile(
    r"^\W*(ambulant(e)?(\s+(jeugd)?hulp)?|(jeugdhulp\s+)?met\s+verblijf|verblijf)\W*$",
    re.I,
)


def read_type(text: str) -> Read:
    """'Behandeling ASS (45A24)', '45A12 Ambulante begeleiding'; an answer that only
    names the hulpvorm ('ambulante hulp') answers that instead."""
    if ONLY_HULPVORM.match(text):
        return {"hulpvorm": Value(hulpvorm_of(text))}
    yes, rest = nz.yes_no_read(text)
    if (
        yes is not None
    ):  # 'Ja, Pleegzorg': the yes answers a question about the hulpvorm
        text = rest
    out: Read = {}
    lead = re.match(
        r"^\W*(ambulant(e)?(\s+(jeugd)?hulp)?|((jeugd)?hulp\s+)?met\s+verblijf)\b([\s]*[:,;.–-]\s*|\s+)",
        text,
        re.I,
    )
    rest_of = text[lead.end() :] if lead else ""
    # 'ambulant: Begeleiding', 'met verblijf Ouder-kindhuis' name the hulpvorm first;
    # 'Ambulante gezinsbehandeling' is a type of care whose name starts with it
    if lead and (
        lead.group(7).strip() or (lead.group(1)[0].islower() and rest_of[:1].isupper())
    ):
        out["hulpvorm"] = Value(hulpvorm_of(lead.group()))
        text = text[lead.end() :]
    type_hulp, code = type_and_code(text)
    out.update(sure("type_hulp", type_hulp))
    if code:
        out["productcode"] = Value(code)
    return out


_NEGATIVE = re.compile(r"^\W*(nee|niet|geen|n\.?v\.?t|no)\b", re.I)


def read_hulp(kind: str) -> Callable[[str], Read]:
    """'Ja, Behandeling ASS (45A24)', 'Ja.\\nSpecialistische begeleiding, 45A53',
    'nee'."""

    def read(text: str) -> Read:
        yes, rest = nz.yes_no_read(text)
        if yes is None and not _NEGATIVE.match(
            text
        ):  # naming the care answers yes: 'Gezinsbehandeling, 45A60'
            type_found, code_found = type_and_code(text)
            if type_found and (code_found or len(type_found.split()) <= 6):
                yes, rest = True, text
        type_hulp, code = type_and_code(rest) if rest.strip() else (None, None)
        if yes is None:
            return {
                f"_{kind}": doubt(None, "het antwoord is geen duidelijk ja of nee", 0.0)
            }
        return {
            f"_{kind}": Value(yes),
            f"_{kind}.type_hulp": Value(type_hulp),
            f"_{kind}.productcode": Value(code),
        }

    return read


def kader_of(text: str) -> str | None:
    box, _ = nz.ticked(text, ("vrijwillig", "gedwongen"))
    if box:
        return box
    t = re.sub(r"\bgeen\s+(maatregel|jb|jr)\b", "", text.lower())
    v = "vrijwillig" in t
    g = "gedwongen" in t or bool(
        re.search(
            r"\b(ots|ondertoezichtstelling|jeugdbescherming|jeugdreclassering|"
            r"voogdij|jb|jr)\b",
            t,
        )
    )
    return "vrijwillig" if v and not g else "gedwongen" if g and not v else None


def maatregel_of(text: str) -> str | None:
    t = text.upper()
    jb, jr = bool(re.search(r"\bJB\b", t)), bool(re.search(r"\bJR\b", t))
    if jb != jr:
        return "JB" if jb else "JR"
    if jb and jr:
        return None
    if re.search(r"jeugdreclassering", text, re.I):
        return "JR"
    if re.search(r"jeugdbescherming|\bots\b|ondertoezichtstelling|voogdij", text, re.I):
        return "JB"
    return None


def read_pgb(text: str) -> Read:
    """'Ja, besproken met ouders\nOuders willen geen werkgeverschap' — the first line
    answers 'verkend?', what follows 'waarom geen PGB?'. On one line: 'Ja, verkend.
    Ouders willen …'; a sentence that says it was discussed is itself the argument
    ('Besproken met vader, hij …').
    """
    first, _, more = text.partition("\n")
    yes, rest = nz.yes_no_read(first)
    if yes is None:
        yes, rest = nz.yes_no_read(text)
        first, more = text, ""
    if yes is not None and not EXPLICIT_YES_NO.match(first) and not more.strip():
        rest = first  # 'Niet besproken omdat …': the whole sentence argues
    elif (
        yes is not None and not more.strip()
    ):  # 'ja, besproken met vader, hij …': the sentence after the ja
        rest = re.sub(r"^\W*(ja|nee|neen|yes|no)\b[\s,.;:–-]*", "", first, flags=re.I)
        echo = re.match(
            r"^\W*\(?\s*(is\s+)?(nog\s+)?(niet\s+)?(gecheckt|verkend|besproken|overwogen|bekeken)\s*\)?"
            r"\s*([.;:]|$)",
            rest,
            re.I,
        )
        # 'Ja, verkend. Ouders willen …', 'Nee, niet verkend. …': the echo is no
        # argument
        if echo:
            rest = rest[echo.end() :].strip()
        rest = rest[:1].upper() + rest[1:]
    argumenten = more.strip() or rest
    argumenten = re.sub(
        r"^\W*(\w+\s*){1,4}\??\s*:\s*", "", argumenten.strip()
    )  # 'Waarom niet: …', 'Argumenten: …'
    if yes is None and first is not text:
        argumenten = more.strip() or first
    out: Read = {
        "pgb_verkend": Value(yes),
        "pgb_argumenten": Value(nz.text(argumenten)),
    }
    if yes is None and nz.clean(text):
        out["pgb_verkend"] = doubt(None, "niet duidelijk of een PGB is verkend", 0.0)
    return out


def read_pgb_argumenten(text: str) -> Read:
    """The answer to 'Waarom is een PGB geen optie?': all of it, but a leading 'Ja –' /
    'Nee,'."""
    m = EXPLICIT_YES_NO.match(text)
    out = {
        "pgb_argumenten": Value(
            nz.text(text[m.end() :].lstrip(" ,.;:–-") if m else text)
        )
    }
    if m:
        out["pgb_verkend"] = Value(nz.yes_no(m.group()))
    return out


EXPLICIT_YES_NO = re.compile(
    r"^\W*(ja|nee|neen|yes|no)\b|^\W*(?:[☒☑☐□]|\[\s*[xX ]?\s*\])", re.I
)


def read_hulpvorm(text: str) -> Read:
    """'Met verblijf', '☒ ambulant ☐ verblijf', 'Ambulant (geen verblijf)', and with the
    type of care after it: 'Ambulante hulp, namelijk Individuele begeleiding
    (productcode 45A11)'."""
    typed = read_type(text)
    if "hulpvorm" in typed and typed["hulpvorm"].value:
        return typed
    return read_with("hulpvorm", hulpvorm_of)(text)


def hulpvorm_of(text: str) -> str | None:
    box, _ = nz.ticked(
        text,
        (
            "ambulant",
            "ambulante hulp",
            "verblijf",
            "met verblijf",
            "jeugdhulp met verblijf",
        ),
    )
    if box:
        return "ambulant" if box.startswith("ambul") else "verblijf"
    t = re.sub(
        r"\b(geen|zonder|niet)\s+(met\s+)?(verblijf|ambulant\w*)", "", text.lower()
    )
    a, v = "ambul" in t, "verblijf" in t
    return "ambulant" if a and not v else "verblijf" if v and not a else None


def hulpvorm_box(hulpvorm: str, text: str) -> Read:
    """A row or checkbox 'Ambulant' answered 'Ja' (with the type of care after it), or
    naming the hulpvorm itself ('ambulante hulp')."""
    yes, rest = nz.yes_no_read(text)
    if yes is not None:
        return (
            ({"hulpvorm": Value(hulpvorm)} | (read_type(rest) if rest.strip() else {}))
            if yes
            else {}
        )
    named = hulpvorm_of(text)
    return {"hulpvorm": Value(named)} if named else {}

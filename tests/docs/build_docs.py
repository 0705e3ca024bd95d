#!/usr/bin/env python3
"""Builds the documentation site with Doxygen (`make docs`) and checks it (the `docs` test).

    build_docs.py [--out build/docs] [--build-dir build] [--check]

Steps, all from the repository root:
  1. The public headers: metagrad.hpp and every header it includes, transitively (the set that
     `meson install` installs; the `install_headers` test checks that the two agree). The two
     generated ones, engine/version.hpp and optim/optimizers.hpp, are written under OUT/gen from
     their .in files as Meson writes them.
  2. Generated pages under OUT/pages: one page per tutorial program, the executables of
     examples/tutorials/meson.build in tutorial order (its source and the output of the built
     program build/examples/tutorials/NAME when it exists),
     the tutorials index, and the examples gallery (examples/*.cpp: the header comment of each and
     its plots from examples/results/).
  3. Doxygen with tests/docs/Doxyfile plus INPUT and the output paths: the HTML site in OUT/html,
     the warnings in OUT/warnings.log.
With --check (the `docs` test) no tutorial is run and the exit status is 1 on any Doxygen
warning (an undocumented public declaration, a malformed command or a broken reference, in a
public header or a page), 77 (skipped) when doxygen is not installed. Python 3 standard library only.
"""

import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DOCS = os.path.join("tests", "docs")
INCLUDE_RE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def read(path):
    with open(os.path.join(ROOT, path), encoding="utf-8") as f:
        return f.read()


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def project_version():
    m = re.search(r"project\([^)]*?version\s*:\s*'([0-9]+)\.([0-9]+)\.([0-9]+)'", read("meson.build"), re.S)
    return m.groups() if m else ("0", "0", "0")


def generated_headers(gen):
    """engine/version.hpp and optim/optimizers.hpp as Meson configures them, under gen/."""
    major, minor, patch = project_version()
    text = read("engine/version.hpp.in")
    for key, value in {"VERSION": f"{major}.{minor}.{patch}", "MAJOR": major, "MINOR": minor, "PATCH": patch}.items():
        text = text.replace(f"@{key}@", value)
    write(os.path.join(gen, "engine", "version.hpp"), text)
    m = re.search(r"^optimizers\s*=\s*\[(.*?)\]", read("optim/meson.build"), re.S | re.M)
    names = re.findall(r"'(\w+)'", m.group(1)) if m else []
    includes = "\n".join(f'#include "optim/optimizers/{n}.hpp"' for n in names)
    write(os.path.join(gen, "optim", "optimizers.hpp"), read("optim/optimizers.hpp.in").replace("@INCLUDES@", includes))


def public_headers(gen):
    """The include closure of metagrad.hpp: (path relative to the root, path to read)."""
    found, todo = {}, ["metagrad.hpp"]
    while todo:
        rel = todo.pop()
        if rel in found:
            continue
        for candidate in (os.path.join(ROOT, rel), os.path.join(gen, rel)):
            if os.path.isfile(candidate):
                found[rel] = candidate
                with open(candidate, encoding="utf-8") as f:
                    todo += INCLUDE_RE.findall(f.read())
                break
        else:
            sys.exit(f"build_docs.py: {rel}, included by a public header, was not found")
    return sorted(found.items())


def leading_comment(path):
    """The `//` comment block a source file starts with, as lines without the slashes."""
    lines = []
    for line in read(path).splitlines():
        s = line.strip()
        if s.startswith("//"):
            lines.append(s[2:][1:] if s[2:].startswith(" ") else s[2:])
        elif s or lines:
            break
    return lines


def paragraphs(lines):
    out, cur = [], []
    for line in lines + [""]:
        if line.strip():
            cur.append(line)
        elif cur:
            out.append(cur)
            cur = []
    return out


def md_escape(text):
    # Doxygen reads `\` and `@` commands, `<` tags and `#` references in Markdown text.
    text = text.replace("\\", "\\\\").replace("@", "\\@").replace("<", "&lt;").replace("#", "\\#")
    # and turns -- and --- into dashes: keep command-line flags (--out) as written.
    return re.sub(r"-{2,}", lambda m: "\\" + m.group(0), text)


def fence(text, lang=""):
    ticks = "```"
    while ticks in text:
        ticks += "`"
    return f"{ticks}{lang}\n{text.rstrip()}\n{ticks}\n"


def page_id(prefix, name):
    return prefix + re.sub(r"\W", "_", name)


def run_program(binary, images, prefix):
    """(output, exit status or None on timeout, image names) of a tutorial program run in a scratch
    folder; the .svg files it wrote there are copied into `images` as PREFIX_NAME.svg."""
    with tempfile.TemporaryDirectory(prefix="metagrad-docs-") as scratch:
        try:
            p = subprocess.run([binary], cwd=scratch, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               timeout=300, env=dict(os.environ, OMP_NUM_THREADS="1"))
            output, status = p.stdout.decode("utf-8", "replace"), p.returncode
        except subprocess.TimeoutExpired as e:
            output, status = (e.stdout or b"").decode("utf-8", "replace"), None
        names = []
        for svg in sorted(glob.glob(os.path.join(scratch, "*.svg")), key=os.path.getmtime):  # written order
            names.append(f"{prefix}_{os.path.basename(svg)}")
            shutil.copyfile(svg, os.path.join(images, names[-1]))
        return output, status, names


def tutorial_programs():
    """[(program name, source path)] of examples/tutorials/meson.build's executables, in the order
    of their TorchOpt tutorial number (`tutorialN_...`); support sources (printing.cpp) are none."""
    meson = os.path.join(ROOT, "examples", "tutorials", "meson.build")
    if not os.path.exists(meson):
        return []
    with open(meson, encoding="utf-8") as f:
        found = re.findall(r"executable\(\s*'([^']+)'\s*,\s*'([^']+\.cpp)'", f.read())
    number = lambda name: int(m.group(1)) if (m := re.match(r"tutorial(\d+)_", name)) else 1 << 30
    return [(name, os.path.join(ROOT, "examples", "tutorials", src))
            for name, src in sorted(found, key=lambda pair: (number(pair[0]), pair[0]))]


def tutorial_pages(pages, build_dir, run):
    """pages/tutorials.md and one page per tutorial program. Returns the page ids."""
    programs = tutorial_programs()
    index = ["# Tutorials {#tutorials}\n",
             "The tutorial programs of `examples/tutorials/`, after TorchOpt's tutorials, each with "
             "its source and the output it printed when this site was built.\n"]
    if not programs:
        index.append("No tutorial program is in `examples/tutorials/` yet.\n")
    ids = []
    for program, src in programs:
        stem = os.path.splitext(os.path.basename(src))[0]
        rel = os.path.relpath(src, ROOT)
        comment = paragraphs(leading_comment(rel))
        # The title: the first sentence of the header comment, when it is short; else the file name.
        first = " ".join(s.strip() for s in comment[0]) if comment else ""
        sentence = re.split(r"(?<=\.)\s", first, maxsplit=1)[0].rstrip(".")
        if len(sentence) > 100:  # its part before a colon, when that reads as a title
            sentence = sentence.split(": ", 1)[0]
        title = sentence if 15 <= len(sentence) <= 100 else stem
        if comment and sentence == first.rstrip(".:"):
            comment = comment[1:]
        pid = page_id("tutorial_", stem)
        ids.append(pid)
        index.append(f"- \\subpage {pid}")
        body = [f"# {md_escape(title)} {{#{pid}}}\n",
                f"`{rel}`" + (f", built as `{build_dir}/examples/tutorials/{program}`.\n" if build_dir else ".\n")]
        for para in comment:
            body.append(md_escape(" ".join(s.strip() for s in para)) + "\n")
        body.append("## Source\n")
        body.append(f"\\include{{lineno}} {os.path.basename(src)}\n")
        body.append("## Output\n")
        binary = os.path.join(ROOT, build_dir, "examples", "tutorials", program) if build_dir else ""
        if not run:
            body.append("Not run in this build of the site (`make docs` runs the built program).\n")
        elif binary and os.access(binary, os.X_OK):
            output, status, images = run_program(binary, pages, pid)
            if status is None:
                body.append("The program ran past 300 s; what it printed until then:\n")
            elif status != 0:
                body.append(f"The program exited with status {status}:\n")
            else:
                body.append(f"What `{program}` printed when this site was built:\n")
            body.append(fence(output or "(no output)", "text"))
            for image in images:
                body.append(f"![{image[len(pid) + 1:]}]({image})\n")
        else:
            body.append(f"Build it to see the output: `meson compile -C {build_dir or 'build'} "
                        f"examples/tutorials/{program}`, then `make docs` again.\n")
        write(os.path.join(pages, f"{pid}.md"), "\n".join(body))
    write(os.path.join(pages, "tutorials.md"), "\n".join(index) + "\n")
    return ids


def plots_of(stem, comment_text):
    """examples/results/ files that belong to example `stem`: named after it or named in its comment."""
    key = stem.replace("_", "-")
    out = []
    for path in sorted(glob.glob(os.path.join(ROOT, "examples", "results", "*"))):
        name = os.path.basename(path)
        base = os.path.splitext(name)[0].replace("_", "-")
        if not name.endswith((".svg", ".png")):
            continue
        if base == key or base.startswith(key + "-") or re.search(r"\b" + re.escape(name) + r"\b", comment_text):
            out.append(name)
    return out


def examples_page(pages):
    lines = ["# Examples gallery {#examples_gallery}\n",
             "The programs of `examples/`, after TorchOpt's examples. `meson compile -C build` builds "
             "them as `build/examples/NAME` (`-Dexamples=true`, the default); `make demo` runs "
             "`autodiff_tour` and `maml_omniglot`. The plots are the measured results kept in "
             "`examples/results/`.\n"]
    sources = sorted(glob.glob(os.path.join(ROOT, "examples", "*.cpp")))
    if not sources:
        lines.append("No example program is in `examples/`.\n")
    for src in sources:
        stem = os.path.splitext(os.path.basename(src))[0]
        rel = os.path.relpath(src, ROOT)
        comment = leading_comment(rel)
        paras = paragraphs(comment)
        lines.append(f"## {stem} {{#example_{stem}}}\n")
        lines.append(f"`{rel}`\n")
        usage = [p for p in paras if p[0].lstrip().startswith(("Usage:", "./"))]
        for para in paras:
            if para[0].startswith("Note ["):
                break
            if para in usage:
                continue
            lines.append(md_escape(" ".join(s.strip() for s in para)) + "\n")
        for para in usage:
            lines.append(fence("\n".join(s.rstrip() for s in para), "text"))
        for plot in plots_of(stem, "\n".join(comment)):
            lines.append(f"![{stem}: {plot}]({plot})\n")
    write(os.path.join(pages, "examples.md"), "\n".join(lines))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.join("build", "docs"), help="output folder (default build/docs)")
    ap.add_argument("--build-dir", default="build", help="the Meson build folder with the tutorial programs")
    ap.add_argument("--check", action="store_true", help="fail on any Doxygen warning; run no tutorial")
    args = ap.parse_args()

    doxygen = shutil.which("doxygen")
    if not doxygen:
        print("build_docs.py: doxygen is not installed (apt-get install doxygen, or `make deps`)")
        return 77 if args.check else 1
    os.chdir(ROOT)
    out = os.path.abspath(args.out)
    gen, pages = os.path.join(out, "gen"), os.path.join(out, "pages")
    shutil.rmtree(gen, ignore_errors=True)
    shutil.rmtree(pages, ignore_errors=True)
    generated_headers(gen)
    headers = public_headers(gen)
    tutorial_ids = tutorial_pages(pages, args.build_dir, run=not args.check)
    examples_page(pages)

    hand_pages = sorted(glob.glob(os.path.join(DOCS, "pages", "*.md")) + glob.glob(os.path.join(DOCS, "pages", "*.dox")))
    # Pages in the order of the navigation tree: tutorials, examples gallery, then the hand-written
    # ones (the main page links them all).
    generated = [os.path.join(pages, name + ".md") for name in ["tutorials"] + tutorial_ids]
    generated.append(os.path.join(pages, "examples.md"))
    inputs = [path for _, path in headers] + generated + hand_pages
    log = os.path.join(out, "warnings.log")
    quote = lambda p: '"' + p.replace('"', '\\"') + '"'
    config = "\n".join([
        f"@INCLUDE = {quote(os.path.join(DOCS, 'Doxyfile'))}",
        "INPUT = " + " \\\n    ".join(quote(p) for p in inputs),
        f"OUTPUT_DIRECTORY = {quote(out)}",
        f"STRIP_FROM_PATH = {quote(ROOT)} {quote(gen)}",
        f"STRIP_FROM_INC_PATH = {quote(ROOT)} {quote(gen)}",
        f"WARN_LOGFILE = {quote(log)}",
        "EXAMPLE_PATH = examples" + (" examples/tutorials" if os.path.isdir("examples/tutorials") else ""),
        f"IMAGE_PATH = examples/results {quote(pages)}",
        f"PROJECT_NUMBER = {'.'.join(project_version())}",
    ]) + "\n"
    write(os.path.join(out, "Doxyfile.run"), config)
    p = subprocess.run([doxygen, "-"], input=config.encode(), cwd=ROOT)
    if p.returncode != 0:
        print(f"build_docs.py: doxygen failed with status {p.returncode}")
        return 1

    with open(log, encoding="utf-8", errors="replace") as f:
        # Doxygen repeats a base class's warnings for every class that inherits its members.
        warnings = list(dict.fromkeys(w for w in f.read().splitlines() if w.strip()))
    rel_of = {path: rel for rel, path in headers}
    header_warnings = 0
    for i, w in enumerate(warnings):
        for path, rel in rel_of.items():
            if w.startswith(path + ":"):
                warnings[i] = rel + w[len(path):]
                header_warnings += 1
                break
        else:
            warnings[i] = w.replace(ROOT + os.sep, "")
    for w in warnings:
        print(w)
    where = f"{header_warnings} in the {len(headers)} public headers, {len(warnings) - header_warnings} elsewhere"
    if warnings:
        print(f"build_docs.py: {len(warnings)} Doxygen warnings ({where}); the list is in {log}")
    print(f"build_docs.py: the site is {os.path.join(out, 'html', 'index.html')}")
    return 1 if args.check and warnings else 0


if __name__ == "__main__":
    sys.exit(main())

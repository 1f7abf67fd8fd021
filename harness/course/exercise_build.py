"""How CMake builds a case's exercise, as two shell commands a verify runs
itself: exercise_build.py BUILD NN-slug prints three lines,

    the directory both commands run in (BUILD/cases/NN-slug)
    the compile command, ending -o "$obj" -c "$src"
    the link command, with "$obj" for the exercise's object and -o "$out"

from CMake's own records of the target NN-slug-exercise: its entry in
BUILD/compile_commands.json (the kit's flags, -Werror, the case's include
folder) and its link.txt (the library, OpenSSL, the case's other objects).
The course writes them to BUILD/exercises/NN-slug.cmds after a build
through CMake, and then compiles a student's file with them, in the
verify's own folder, instead of asking make again (harness/course/course.sh).
Exit 1, saying why, when the build tree has no such records.
"""
import json
import os
import shlex
import sys


def main():
    build, name = sys.argv[1], sys.argv[2]
    wrapper = os.path.join(build, "exercises", name + ".c")
    try:
        with open(os.path.join(build, "compile_commands.json"), encoding="utf-8") as f:
            entries = json.load(f)
        entry = next(e for e in entries if os.path.realpath(e["file"]) == os.path.realpath(wrapper))
        link_txt = os.path.join(build, "cases", name, "CMakeFiles", name + "-exercise.dir",
                                "link.txt")
        with open(link_txt, encoding="utf-8") as f:
            link = shlex.split(f.read().strip())
    except (OSError, ValueError, StopIteration) as e:
        print("exercise_build.py: no CMake record of %s-exercise in %s: %s" % (name, build, e),
              file=sys.stderr)
        return 1
    args = shlex.split(entry["command"]) if "command" in entry else list(entry["arguments"])
    kept, i = [], 0
    while i < len(args):
        if args[i] in ("-o", "-c"):
            i += 2
            continue
        kept.append(args[i])
        i += 1
    compile_cmd = " ".join(shlex.quote(a) for a in kept) + ' -o "$obj" -c "$src"'
    obj = os.path.join("CMakeFiles", name + "-exercise.dir", "__", "__", "exercises", name + ".c.o")
    words, i, seen = [], 0, False
    while i < len(link):
        if link[i] == obj:
            words.append('"$obj"')
            seen = True
        elif link[i] == "-o" and i + 1 < len(link):
            words.append('-o "$out"')
            i += 1
        else:
            words.append(shlex.quote(link[i]))
        i += 1
    if not seen:
        print("exercise_build.py: %s does not link %s" % (link_txt, obj), file=sys.stderr)
        return 1
    print(entry["directory"])
    print(compile_cmd)
    print(" ".join(words))
    return 0


if __name__ == "__main__":
    sys.exit(main())

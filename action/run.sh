#!/usr/bin/env bash
# The steps of this repository's GitHub Action (action.yml), kept here so they can be run
# and tested outside a runner. Inputs arrive as INPUT_* variables (action.yml maps them);
# the runner sets GITHUB_ACTION_PATH, GITHUB_WORKSPACE, GITHUB_STEP_SUMMARY and RUNNER_TEMP.
#
#   run.sh install   ddguard from the action's checkout into a private venv under RUNNER_TEMP
#   run.sh check     annotations on the log, the markdown report into the step summary;
#                    exits with ddguard's status (1 refused, 2 bad input)
set -u
set -f  # targets and args are words, never globs

venv="${RUNNER_TEMP:?RUNNER_TEMP is not set}/ddguard-venv"

error_annotation() {  # one workflow command; %, CR and LF escaped as the runner expects
    local text="${1//%/%25}"
    text="${text//$'\r'/%0D}"
    printf '::error title=ddguard::%s\n' "${text//$'\n'/%0A}"
}

fail() {  # bad input: an error annotation and exit 2
    error_annotation "$1"
    exit 2
}

last_line() {  # the last non-blank line of a file; fails when there is none
    grep -v '^[[:space:]]*$' "$1" | tail -n 1 | grep .
}

venv_python() {
    if [ -x "$venv/bin/python" ]; then
        printf '%s\n' "$venv/bin/python"
    else
        printf '%s\n' "$venv/Scripts/python.exe"  # Windows runners
    fi
}

install() {
    local action="${GITHUB_ACTION_PATH:?GITHUB_ACTION_PATH is not set}"
    local python="${INPUT_PYTHON:-python3}" stamp="$venv/ddguard-action"
    # a second use of the action in the same job reuses the venv it made
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$action $python" ]; then
        echo "ddguard already installed in $venv"
        return 0
    fi
    "$python" -m venv --clear "$venv" \
        || fail "cannot create a venv with '$python' (the action's python input)"
    "$(venv_python)" -m pip install --disable-pip-version-check --quiet "$action" \
        || fail "cannot install ddguard from $action"
    printf '%s' "$action $python" >"$stamp"
    "$(venv_python)" -m ddguard --version
}

# ddguard's argv from the inputs: project, one --target per word of targets, strict, args
check_argv() {
    argv=(check)
    if [ -n "${INPUT_PROJECT-.}" ]; then
        argv+=(--project "${INPUT_PROJECT-.}")
    fi
    local target targets="${INPUT_TARGETS:-}"
    for target in ${targets//,/ }; do  # newlines, spaces or commas between targets
        argv+=(--target "$target")
    done
    case "${INPUT_STRICT:-false}" in
        true | True | TRUE) argv+=(--strict) ;;
        false | False | FALSE | "") ;;
        *) fail "the strict input must be true or false, not '${INPUT_STRICT}'" ;;
    esac
    # args: shell words (quotes allowed), split by shlex rather than eval'd
    local words word
    words="$(mktemp "${RUNNER_TEMP}/ddguard-args.XXXXXX")"
    "$(venv_python)" -c 'import shlex, sys; sys.stdout.write("".join(w + "\0" for w in shlex.split(sys.argv[1])))' \
        "${INPUT_ARGS:-}" >"$words" 2>/dev/null \
        || { rm -f "$words"; fail "the args input is not a list of shell words: ${INPUT_ARGS:-}"; }
    while IFS= read -r -d '' word; do
        argv+=("$word")
    done <"$words"
    rm -f "$words"
}

check() {
    [ -x "$(venv_python)" ] || fail "ddguard is not installed: run the install step first"
    if [ -n "${GITHUB_WORKSPACE:-}" ]; then
        cd "$GITHUB_WORKSPACE" || fail "cannot enter GITHUB_WORKSPACE ($GITHUB_WORKSPACE)"
    fi
    check_argv
    local ddguard output errors status summary_status
    ddguard=("$(venv_python)" -m ddguard)
    output="$(mktemp "${RUNNER_TEMP}/ddguard-stdout.XXXXXX")"
    errors="$(mktemp "${RUNNER_TEMP}/ddguard-stderr.XXXXXX")"
    echo "ddguard ${argv[*]}"
    "${ddguard[@]}" "${argv[@]}" --format github >"$output" 2>"$errors"
    status=$?
    cat "$output"
    cat "$errors" >&2
    if [ "$status" -ne 0 ] && ! grep -q '^::error ' "$output"; then
        # no refusal annotated (bad input, or ddguard failed): its last line, or the status
        error_annotation "$(last_line "$errors" || echo "ddguard check exited with status $status")"
    fi
    if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
        {
            printf '### ddguard: ddtrace compatibility\n\n'
            # shellcheck disable=SC2016  # backticks are markdown here
            printf '`ddguard %s`\n\n' "${argv[*]}"
            "${ddguard[@]}" "${argv[@]}" --format markdown 2>"$errors"
            summary_status=$?
            if [ "$summary_status" -ne 0 ] && last_line "$errors" >/dev/null; then
                # shellcheck disable=SC2016
                printf '\n**Error** (exit %s):\n\n```\n%s\n```\n' "$summary_status" "$(last_line "$errors")"
            fi
            printf '\n'
        } >>"$GITHUB_STEP_SUMMARY"
    fi
    rm -f "$output" "$errors"
    return "$status"
}

case "${1:-}" in
    install) install ;;
    check) check ;;
    *) echo "usage: run.sh install|check" >&2; exit 2 ;;
esac

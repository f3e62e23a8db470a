#compdef crictl-which

autoload -U is-at-least

_crictl-which() {
    typeset -A opt_args
    typeset -a _arguments_options
    local ret=1

    if is-at-least 5.2; then
        _arguments_options=(-s -S -C)
    else
        _arguments_options=(-s -C)
    fi

    local context curcontext="$curcontext" state line
    _arguments "${_arguments_options[@]}" : \
'-r+[CRI runtime endpoint, as crictl'\''s -r (env CONTAINER_RUNTIME_ENDPOINT)]:URL:_default' \
'--runtime-endpoint=[CRI runtime endpoint, as crictl'\''s -r (env CONTAINER_RUNTIME_ENDPOINT)]:URL:_default' \
'-i+[CRI image endpoint, as crictl'\''s -i (env IMAGE_SERVICE_ENDPOINT)]:URL:_default' \
'--image-endpoint=[CRI image endpoint, as crictl'\''s -i (env IMAGE_SERVICE_ENDPOINT)]:URL:_default' \
'-c+[crictl config file, as crictl'\''s -c (env CRI_CONFIG_FILE; default /etc/crictl.yaml)]:FILE:_files' \
'--config=[crictl config file, as crictl'\''s -c (env CRI_CONFIG_FILE; default /etc/crictl.yaml)]:FILE:_files' \
'--host-root=[Directory that stands for the node'\''s / (e.g. /host in a debug pod)]:DIR:_files' \
'--proc=[procfs to scan for runtime processes \[default\: <host-root>/proc\]]:DIR:_files' \
'-o+[Output format]:OUTPUT:(text json yaml)' \
'--output=[Output format]:OUTPUT:(text json yaml)' \
'-t+[Deadline for each dial and API call, e.g. 2s or 500ms \[default\: crictl'\''s\: config timeout, else 2s\]]:DUR:_default' \
'--timeout=[Deadline for each dial and API call, e.g. 2s or 500ms \[default\: crictl'\''s\: config timeout, else 2s\]]:DUR:_default' \
'--completions=[Print a shell completion script and exit]:SHELL:(bash elvish fish powershell zsh)' \
'--offline[Never dial a socket\: read processes, config files and defaults only]' \
'--man[Print the man page (roff) and exit]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
&& ret=0
}

(( $+functions[_crictl-which_commands] )) ||
_crictl-which_commands() {
    local commands; commands=()
    _describe -t commands 'crictl-which commands' commands "$@"
}

if [ "$funcstack[1]" = "_crictl-which" ]; then
    _crictl-which "$@"
else
    compdef _crictl-which crictl-which
fi

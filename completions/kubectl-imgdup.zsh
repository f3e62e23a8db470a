#compdef kubectl-imgdup

autoload -U is-at-least

_kubectl-imgdup() {
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
'-l+[Only nodes matching this label selector]:SELECTOR:_default' \
'--selector=[Only nodes matching this label selector]:SELECTOR:_default' \
'--context=[kubeconfig context to use]:NAME:_default' \
'--kubeconfig=[Path to the kubeconfig file \[default\: \$KUBECONFIG, else ~/.kube/config\]]:FILE:_files' \
'-n+[Namespace for the agent pods \[default\: the context'\''s, else "default"\]]:NAMESPACE:_default' \
'--namespace=[Namespace for the agent pods \[default\: the context'\''s, else "default"\]]:NAMESPACE:_default' \
'--image=[Agent image (a FROM-scratch image holding this binary)]:IMG:_default' \
'--concurrency=[Agent pods at a time]:N:_default' \
'--timeout=[Each node'\''s scan deadline (the pod'\''s activeDeadlineSeconds adds 60 s)]:DUR:_default' \
'--pending-timeout=[How long a pod may stay Pending before its node is \`unknown\`]:DUR:_default' \
'-o+[Output format]:OUTPUT:(table wide json yaml)' \
'--output=[Output format]:OUTPUT:(table wide json yaml)' \
'--fail-on-duplicates[Exit 3 when any image is stored twice]' \
'--keep-pods[Leave the agent pods for debugging (they still end at their deadline)]' \
'--dry-run[Print the pods it would create (-o yaml); contacts no cluster]' \
'-h[Print help]' \
'--help[Print help]' \
'-V[Print version]' \
'--version[Print version]' \
'::nodes -- Nodes to scan \[default\: all, or those matching -l\]:_default' \
":: :_kubectl-imgdup_commands" \
"*::: :->kubectl-imgdup" \
&& ret=0
    case $state in
    (kubectl-imgdup)
        words=($line[2] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:kubectl-imgdup-command-$line[2]:"
        case $line[2] in
            (node)
_arguments "${_arguments_options[@]}" : \
'--host-root=[Directory that stands for the node'\''s /]:DIR:_files' \
'--proc=[procfs to scan for runtime processes \[default\: <host-root>/proc\]]:DIR:_files' \
'--node-name=[Node name in the report \[default\: the node'\''s /etc/hostname\]]:NAME:_default' \
'-r+[CRI runtime endpoint, as crictl'\''s -r (env CONTAINER_RUNTIME_ENDPOINT)]:URL:_default' \
'--runtime-endpoint=[CRI runtime endpoint, as crictl'\''s -r (env CONTAINER_RUNTIME_ENDPOINT)]:URL:_default' \
'-i+[CRI image endpoint, as crictl'\''s -i (env IMAGE_SERVICE_ENDPOINT)]:URL:_default' \
'--image-endpoint=[CRI image endpoint, as crictl'\''s -i (env IMAGE_SERVICE_ENDPOINT)]:URL:_default' \
'--crictl-config=[crictl config file (env CRI_CONFIG_FILE; default /etc/crictl.yaml)]:FILE:_files' \
'--timeout=[Deadline for each dial and API call, e.g. 2s]:DUR:_default' \
'-o+[Output format]:OUTPUT:(table wide json yaml)' \
'--output=[Output format]:OUTPUT:(table wide json yaml)' \
'--local[Scan the node this runs on (the cluster fan-out is not in this version)]' \
'--fail-on-duplicates[Exit 3 when any image is stored twice]' \
'-h[Print help]' \
'--help[Print help]' \
&& ret=0
;;
(prune)
_arguments "${_arguments_options[@]}" : \
'--host-root=[Directory that stands for the node'\''s /]:DIR:_files' \
'--proc=[procfs to scan for runtime processes \[default\: <host-root>/proc\]]:DIR:_files' \
'--node-name=[Node name in the report \[default\: the node'\''s /etc/hostname\]]:NAME:_default' \
'-r+[CRI runtime endpoint, as crictl'\''s -r (env CONTAINER_RUNTIME_ENDPOINT)]:URL:_default' \
'--runtime-endpoint=[CRI runtime endpoint, as crictl'\''s -r (env CONTAINER_RUNTIME_ENDPOINT)]:URL:_default' \
'-i+[CRI image endpoint, as crictl'\''s -i (env IMAGE_SERVICE_ENDPOINT)]:URL:_default' \
'--image-endpoint=[CRI image endpoint, as crictl'\''s -i (env IMAGE_SERVICE_ENDPOINT)]:URL:_default' \
'--crictl-config=[crictl config file (env CRI_CONFIG_FILE; default /etc/crictl.yaml)]:FILE:_files' \
'--timeout=[Deadline for each dial and API call, e.g. 2s]:DUR:_default' \
'-o+[Output format (text is a paste-able script)]:OUTPUT:(text json yaml)' \
'--output=[Output format (text is a paste-able script)]:OUTPUT:(text json yaml)' \
'--local[Scan the node this runs on (the cluster fan-out is not in this version)]' \
'--dry-run[Print the plan only. Required\: this version never deletes anything]' \
'-h[Print help]' \
'--help[Print help]' \
&& ret=0
;;
(completion)
_arguments "${_arguments_options[@]}" : \
'-h[Print help]' \
'--help[Print help]' \
':shell:(bash elvish fish powershell zsh)' \
&& ret=0
;;
(agent)
_arguments "${_arguments_options[@]}" : \
'--host-root=[Directory that stands for the node'\''s /]:DIR:_files' \
'--proc=[procfs to scan for runtime processes \[default\: <host-root>/proc\]]:DIR:_files' \
'--node-name=[Node name in the report \[default\: the node'\''s /etc/hostname\]]:NAME:_default' \
'-r+[CRI runtime endpoint, as crictl'\''s -r (env CONTAINER_RUNTIME_ENDPOINT)]:URL:_default' \
'--runtime-endpoint=[CRI runtime endpoint, as crictl'\''s -r (env CONTAINER_RUNTIME_ENDPOINT)]:URL:_default' \
'-i+[CRI image endpoint, as crictl'\''s -i (env IMAGE_SERVICE_ENDPOINT)]:URL:_default' \
'--image-endpoint=[CRI image endpoint, as crictl'\''s -i (env IMAGE_SERVICE_ENDPOINT)]:URL:_default' \
'--crictl-config=[crictl config file (env CRI_CONFIG_FILE; default /etc/crictl.yaml)]:FILE:_files' \
'--timeout=[Deadline for each dial and API call, e.g. 2s]:DUR:_default' \
'-h[Print help]' \
'--help[Print help]' \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
":: :_kubectl-imgdup__subcmd__help_commands" \
"*::: :->help" \
&& ret=0

    case $state in
    (help)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:kubectl-imgdup-help-command-$line[1]:"
        case $line[1] in
            (node)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(prune)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(completion)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(agent)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
        esac
    ;;
esac
;;
        esac
    ;;
esac
}

(( $+functions[_kubectl-imgdup_commands] )) ||
_kubectl-imgdup_commands() {
    local commands; commands=(
'node:Scan one node\: its stores, a verdict per image, and the reclaimable bytes' \
'prune:Print the exact commands that reclaim the duplicated bytes (nothing is deleted)' \
'completion:Print a shell completion script (bash, zsh, fish, powershell, elvish)' \
'agent:The node scan inside an agent pod\: prints the NodeReport as JSON' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'kubectl-imgdup commands' commands "$@"
}
(( $+functions[_kubectl-imgdup__subcmd__agent_commands] )) ||
_kubectl-imgdup__subcmd__agent_commands() {
    local commands; commands=()
    _describe -t commands 'kubectl-imgdup agent commands' commands "$@"
}
(( $+functions[_kubectl-imgdup__subcmd__completion_commands] )) ||
_kubectl-imgdup__subcmd__completion_commands() {
    local commands; commands=()
    _describe -t commands 'kubectl-imgdup completion commands' commands "$@"
}
(( $+functions[_kubectl-imgdup__subcmd__help_commands] )) ||
_kubectl-imgdup__subcmd__help_commands() {
    local commands; commands=(
'node:Scan one node\: its stores, a verdict per image, and the reclaimable bytes' \
'prune:Print the exact commands that reclaim the duplicated bytes (nothing is deleted)' \
'completion:Print a shell completion script (bash, zsh, fish, powershell, elvish)' \
'agent:The node scan inside an agent pod\: prints the NodeReport as JSON' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'kubectl-imgdup help commands' commands "$@"
}
(( $+functions[_kubectl-imgdup__subcmd__help__subcmd__agent_commands] )) ||
_kubectl-imgdup__subcmd__help__subcmd__agent_commands() {
    local commands; commands=()
    _describe -t commands 'kubectl-imgdup help agent commands' commands "$@"
}
(( $+functions[_kubectl-imgdup__subcmd__help__subcmd__completion_commands] )) ||
_kubectl-imgdup__subcmd__help__subcmd__completion_commands() {
    local commands; commands=()
    _describe -t commands 'kubectl-imgdup help completion commands' commands "$@"
}
(( $+functions[_kubectl-imgdup__subcmd__help__subcmd__help_commands] )) ||
_kubectl-imgdup__subcmd__help__subcmd__help_commands() {
    local commands; commands=()
    _describe -t commands 'kubectl-imgdup help help commands' commands "$@"
}
(( $+functions[_kubectl-imgdup__subcmd__help__subcmd__node_commands] )) ||
_kubectl-imgdup__subcmd__help__subcmd__node_commands() {
    local commands; commands=()
    _describe -t commands 'kubectl-imgdup help node commands' commands "$@"
}
(( $+functions[_kubectl-imgdup__subcmd__help__subcmd__prune_commands] )) ||
_kubectl-imgdup__subcmd__help__subcmd__prune_commands() {
    local commands; commands=()
    _describe -t commands 'kubectl-imgdup help prune commands' commands "$@"
}
(( $+functions[_kubectl-imgdup__subcmd__node_commands] )) ||
_kubectl-imgdup__subcmd__node_commands() {
    local commands; commands=()
    _describe -t commands 'kubectl-imgdup node commands' commands "$@"
}
(( $+functions[_kubectl-imgdup__subcmd__prune_commands] )) ||
_kubectl-imgdup__subcmd__prune_commands() {
    local commands; commands=()
    _describe -t commands 'kubectl-imgdup prune commands' commands "$@"
}

if [ "$funcstack[1]" = "_kubectl-imgdup" ]; then
    _kubectl-imgdup "$@"
else
    compdef _kubectl-imgdup kubectl-imgdup
fi

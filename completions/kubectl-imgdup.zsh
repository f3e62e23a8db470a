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
'--context=[kubeconfig context to use (the scan and top\: several, comma-separated)]:NAME:_default' \
'--kubeconfig=[Path to the kubeconfig file \[default\: \$KUBECONFIG, else ~/.kube/config\]]:FILE:_files' \
'-n+[Namespace for the agent pods \[default\: the context'\''s, else "default"\]]:NAMESPACE:_default' \
'--namespace=[Namespace for the agent pods \[default\: the context'\''s, else "default"\]]:NAMESPACE:_default' \
'-v+[Report the API requests made, per node and by verb, on stderr (\`-v\`, or kubectl'\''s \`-v=N\`\: any level above 0)]::LEVEL:_default' \
'--verbose=[Report the API requests made, per node and by verb, on stderr (\`-v\`, or kubectl'\''s \`-v=N\`\: any level above 0)]::LEVEL:_default' \
'--connect-timeout=[Give up on an API server that has not accepted the connection (TCP and TLS) within DUR]:DUR:_default' \
'-l+[Only nodes matching this label selector]:SELECTOR:_default' \
'--selector=[Only nodes matching this label selector]:SELECTOR:_default' \
'--image=[Agent image (a FROM-scratch image holding this binary)]:IMG:_default' \
'--timeout=[Each node'\''s scan deadline (the pod'\''s activeDeadlineSeconds adds 60 s)]:DUR:_default' \
'--pending-timeout=[How long a pod may stay Pending before its node is \`unknown\`]:DUR:_default' \
'--agent-binary=[Air-gapped\: upload this Linux kubectl-imgdup binary into pods of --image (an image the nodes already have, with sh, cat, chmod, mv and sleep) and run it there]:PATH:_files' \
'--concurrency=[Agent pods at a time]:N:_default' \
'-o+[Output format]:OUTPUT:(table wide json yaml)' \
'--output=[Output format]:OUTPUT:(table wide json yaml)' \
'--keep-pods[Leave the agent pods for debugging (they still end at their deadline)]' \
'--fail-on-duplicates[Exit 3 when any image is stored twice]' \
'--dry-run[Print the pods it would create (-o yaml); contacts no cluster]' \
'--all-contexts[Every context of the kubeconfig, concurrently; output grouped by context]' \
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
'--context=[kubeconfig context to use (the scan and top\: several, comma-separated)]:NAME:_default' \
'--kubeconfig=[Path to the kubeconfig file \[default\: \$KUBECONFIG, else ~/.kube/config\]]:FILE:_files' \
'-n+[Namespace for the agent pods \[default\: the context'\''s, else "default"\]]:NAMESPACE:_default' \
'--namespace=[Namespace for the agent pods \[default\: the context'\''s, else "default"\]]:NAMESPACE:_default' \
'-v+[Report the API requests made, per node and by verb, on stderr (\`-v\`, or kubectl'\''s \`-v=N\`\: any level above 0)]::LEVEL:_default' \
'--verbose=[Report the API requests made, per node and by verb, on stderr (\`-v\`, or kubectl'\''s \`-v=N\`\: any level above 0)]::LEVEL:_default' \
'--connect-timeout=[Give up on an API server that has not accepted the connection (TCP and TLS) within DUR]:DUR:_default' \
'--local[Scan the node this runs on (\`kubectl imgdup \[NODE...\]\` scans the cluster)]' \
'--fail-on-duplicates[Exit 3 when any image is stored twice]' \
'-h[Print help]' \
'--help[Print help]' \
&& ret=0
;;
(prune)
_arguments "${_arguments_options[@]}" : \
'(--local)-l+[Only nodes matching this label selector]:SELECTOR:_default' \
'(--local)--selector=[Only nodes matching this label selector]:SELECTOR:_default' \
'--host-root=[Directory that stands for the node'\''s /]:DIR:_files' \
'--proc=[procfs to scan for runtime processes \[default\: <host-root>/proc\]]:DIR:_files' \
'--node-name=[Node name in the report \[default\: the node'\''s /etc/hostname\]]:NAME:_default' \
'-r+[CRI runtime endpoint, as crictl'\''s -r (env CONTAINER_RUNTIME_ENDPOINT)]:URL:_default' \
'--runtime-endpoint=[CRI runtime endpoint, as crictl'\''s -r (env CONTAINER_RUNTIME_ENDPOINT)]:URL:_default' \
'-i+[CRI image endpoint, as crictl'\''s -i (env IMAGE_SERVICE_ENDPOINT)]:URL:_default' \
'--image-endpoint=[CRI image endpoint, as crictl'\''s -i (env IMAGE_SERVICE_ENDPOINT)]:URL:_default' \
'--crictl-config=[crictl config file (env CRI_CONFIG_FILE; default /etc/crictl.yaml)]:FILE:_files' \
'--timeout=[Deadline for each dial and API call, e.g. 2s]:DUR:_default' \
'--image=[Agent image (a FROM-scratch image holding this binary)]:IMG:_default' \
'--pending-timeout=[How long a pod may stay Pending before its node is \`unknown\`]:DUR:_default' \
'--concurrency=[Pods at a time]:N:_default' \
'*--exclude=[Keep images whose tag, repo digest or id matches this glob (repeatable)]:PATTERN:_default' \
'*--remove-leftover-store=[Remove this whole offline store root (a runtime-switch leftover, e.g. /var/lib/docker) once nothing on the node can be using it (repeatable)]:PATH:_default' \
'-o+[Output format]:OUTPUT:(text json yaml)' \
'--output=[Output format]:OUTPUT:(text json yaml)' \
'--context=[kubeconfig context to use (the scan and top\: several, comma-separated)]:NAME:_default' \
'--kubeconfig=[Path to the kubeconfig file \[default\: \$KUBECONFIG, else ~/.kube/config\]]:FILE:_files' \
'-n+[Namespace for the agent pods \[default\: the context'\''s, else "default"\]]:NAMESPACE:_default' \
'--namespace=[Namespace for the agent pods \[default\: the context'\''s, else "default"\]]:NAMESPACE:_default' \
'-v+[Report the API requests made, per node and by verb, on stderr (\`-v\`, or kubectl'\''s \`-v=N\`\: any level above 0)]::LEVEL:_default' \
'--verbose=[Report the API requests made, per node and by verb, on stderr (\`-v\`, or kubectl'\''s \`-v=N\`\: any level above 0)]::LEVEL:_default' \
'--connect-timeout=[Give up on an API server that has not accepted the connection (TCP and TLS) within DUR]:DUR:_default' \
'--local[Prune the node this command runs on (in a debug pod\: --host-root /host)]' \
'--keep-pods[Leave the pods for debugging (they still end at their deadline)]' \
'(-y --yes)--dry-run[Print the plan (-o text\: commands for a person; -o yaml\: the prune pods), and remove nothing]' \
'-y[Remove without asking (without it\: ask on a terminal, else remove nothing)]' \
'--yes[Remove without asking (without it\: ask on a terminal, else remove nothing)]' \
'-h[Print help]' \
'--help[Print help]' \
'*::nodes -- Nodes to prune \[default\: all, or those matching -l\]:_default' \
&& ret=0
;;
(top)
_arguments "${_arguments_options[@]}" : \
'-l+[Only nodes matching this label selector]:SELECTOR:_default' \
'--selector=[Only nodes matching this label selector]:SELECTOR:_default' \
'--sort-by=[Order of the image rows (numbers\: biggest first)]:SORT_BY:(reclaimable copies nodes name)' \
'-o+[Output format (json and csv carry raw bytes)]:OUTPUT:(table wide json csv)' \
'--output=[Output format (json and csv carry raw bytes)]:OUTPUT:(table wide json csv)' \
'--image=[Agent image (a FROM-scratch image holding this binary)]:IMG:_default' \
'--timeout=[Each node'\''s scan deadline (the pod'\''s activeDeadlineSeconds adds 60 s)]:DUR:_default' \
'--pending-timeout=[How long a pod may stay Pending before its node is \`unknown\`]:DUR:_default' \
'--agent-binary=[Air-gapped\: upload this Linux kubectl-imgdup binary into pods of --image (an image the nodes already have, with sh, cat, chmod, mv and sleep) and run it there]:PATH:_files' \
'--concurrency=[Agent pods at a time (nodes without a ready imgdup-serve pod)]:N:_default' \
'--from-report=[Render a saved ClusterReport or TopReport (JSON) instead of asking a cluster]:FILE:_files' \
'--context=[kubeconfig context to use (the scan and top\: several, comma-separated)]:NAME:_default' \
'--kubeconfig=[Path to the kubeconfig file \[default\: \$KUBECONFIG, else ~/.kube/config\]]:FILE:_files' \
'-n+[Namespace for the agent pods \[default\: the context'\''s, else "default"\]]:NAMESPACE:_default' \
'--namespace=[Namespace for the agent pods \[default\: the context'\''s, else "default"\]]:NAMESPACE:_default' \
'-v+[Report the API requests made, per node and by verb, on stderr (\`-v\`, or kubectl'\''s \`-v=N\`\: any level above 0)]::LEVEL:_default' \
'--verbose=[Report the API requests made, per node and by verb, on stderr (\`-v\`, or kubectl'\''s \`-v=N\`\: any level above 0)]::LEVEL:_default' \
'--connect-timeout=[Give up on an API server that has not accepted the connection (TCP and TLS) within DUR]:DUR:_default' \
'--keep-pods[Leave the agent pods for debugging (they still end at their deadline)]' \
'--all-contexts[Every context of the kubeconfig, concurrently; output grouped by context]' \
'-h[Print help]' \
'--help[Print help]' \
'*::nodes -- Nodes to include \[default\: all, or those matching -l\]:_default' \
&& ret=0
;;
(serve)
_arguments "${_arguments_options[@]}" : \
'--listen=[Address to serve /metrics, /healthz and /report on\: HOST\:PORT, or \:PORT for every interface]:ADDR:_default' \
'--interval=[Time between scans, ±10 % jitter; a scan never overlaps the previous one]:DUR:_default' \
'--top-images=[Also export imgdup_image_reclaimable_bytes{image} for the N images that free the most]:N:_default' \
'--host-root=[Directory that stands for the node'\''s /]:DIR:_files' \
'--proc=[procfs to scan for runtime processes \[default\: <host-root>/proc\]]:DIR:_files' \
'--node-name=[Node name in the report \[default\: the node'\''s /etc/hostname\]]:NAME:_default' \
'-r+[CRI runtime endpoint, as crictl'\''s -r (env CONTAINER_RUNTIME_ENDPOINT)]:URL:_default' \
'--runtime-endpoint=[CRI runtime endpoint, as crictl'\''s -r (env CONTAINER_RUNTIME_ENDPOINT)]:URL:_default' \
'-i+[CRI image endpoint, as crictl'\''s -i (env IMAGE_SERVICE_ENDPOINT)]:URL:_default' \
'--image-endpoint=[CRI image endpoint, as crictl'\''s -i (env IMAGE_SERVICE_ENDPOINT)]:URL:_default' \
'--crictl-config=[crictl config file (env CRI_CONFIG_FILE; default /etc/crictl.yaml)]:FILE:_files' \
'--timeout=[Deadline for each dial and API call, e.g. 2s]:DUR:_default' \
'--context=[kubeconfig context to use (the scan and top\: several, comma-separated)]:NAME:_default' \
'--kubeconfig=[Path to the kubeconfig file \[default\: \$KUBECONFIG, else ~/.kube/config\]]:FILE:_files' \
'-n+[Namespace for the agent pods \[default\: the context'\''s, else "default"\]]:NAMESPACE:_default' \
'--namespace=[Namespace for the agent pods \[default\: the context'\''s, else "default"\]]:NAMESPACE:_default' \
'-v+[Report the API requests made, per node and by verb, on stderr (\`-v\`, or kubectl'\''s \`-v=N\`\: any level above 0)]::LEVEL:_default' \
'--verbose=[Report the API requests made, per node and by verb, on stderr (\`-v\`, or kubectl'\''s \`-v=N\`\: any level above 0)]::LEVEL:_default' \
'--connect-timeout=[Give up on an API server that has not accepted the connection (TCP and TLS) within DUR]:DUR:_default' \
'--full-priority[Scan at normal CPU and I/O priority with all threads \[default\: nice 19, idle I/O class, one scan thread\]]' \
'-h[Print help]' \
'--help[Print help]' \
&& ret=0
;;
(which)
_arguments "${_arguments_options[@]}" : \
'--image=[Agent image (a FROM-scratch image holding this binary)]:IMG:_default' \
'--timeout=[Each node'\''s scan deadline (the pod'\''s activeDeadlineSeconds adds 60 s)]:DUR:_default' \
'--pending-timeout=[How long a pod may stay Pending before its node is \`unknown\`]:DUR:_default' \
'--agent-binary=[Air-gapped\: upload this Linux kubectl-imgdup binary into pods of --image (an image the nodes already have, with sh, cat, chmod, mv and sleep) and run it there]:PATH:_files' \
'-o+[Output format]:OUTPUT:(text json yaml)' \
'--output=[Output format]:OUTPUT:(text json yaml)' \
'--context=[kubeconfig context to use (the scan and top\: several, comma-separated)]:NAME:_default' \
'--kubeconfig=[Path to the kubeconfig file \[default\: \$KUBECONFIG, else ~/.kube/config\]]:FILE:_files' \
'-n+[Namespace for the agent pods \[default\: the context'\''s, else "default"\]]:NAMESPACE:_default' \
'--namespace=[Namespace for the agent pods \[default\: the context'\''s, else "default"\]]:NAMESPACE:_default' \
'-v+[Report the API requests made, per node and by verb, on stderr (\`-v\`, or kubectl'\''s \`-v=N\`\: any level above 0)]::LEVEL:_default' \
'--verbose=[Report the API requests made, per node and by verb, on stderr (\`-v\`, or kubectl'\''s \`-v=N\`\: any level above 0)]::LEVEL:_default' \
'--connect-timeout=[Give up on an API server that has not accepted the connection (TCP and TLS) within DUR]:DUR:_default' \
'--keep-pods[Leave the agent pods for debugging (they still end at their deadline)]' \
'-h[Print help]' \
'--help[Print help]' \
':node -- The node whose chain to show:_default' \
&& ret=0
;;
(cleanup)
_arguments "${_arguments_options[@]}" : \
'--context=[kubeconfig context to use (the scan and top\: several, comma-separated)]:NAME:_default' \
'--kubeconfig=[Path to the kubeconfig file \[default\: \$KUBECONFIG, else ~/.kube/config\]]:FILE:_files' \
'-n+[Namespace for the agent pods \[default\: the context'\''s, else "default"\]]:NAMESPACE:_default' \
'--namespace=[Namespace for the agent pods \[default\: the context'\''s, else "default"\]]:NAMESPACE:_default' \
'-v+[Report the API requests made, per node and by verb, on stderr (\`-v\`, or kubectl'\''s \`-v=N\`\: any level above 0)]::LEVEL:_default' \
'--verbose=[Report the API requests made, per node and by verb, on stderr (\`-v\`, or kubectl'\''s \`-v=N\`\: any level above 0)]::LEVEL:_default' \
'--connect-timeout=[Give up on an API server that has not accepted the connection (TCP and TLS) within DUR]:DUR:_default' \
'--dry-run[List what would be deleted, delete nothing]' \
'-h[Print help]' \
'--help[Print help]' \
&& ret=0
;;
(completion)
_arguments "${_arguments_options[@]}" : \
'--context=[kubeconfig context to use (the scan and top\: several, comma-separated)]:NAME:_default' \
'--kubeconfig=[Path to the kubeconfig file \[default\: \$KUBECONFIG, else ~/.kube/config\]]:FILE:_files' \
'-n+[Namespace for the agent pods \[default\: the context'\''s, else "default"\]]:NAMESPACE:_default' \
'--namespace=[Namespace for the agent pods \[default\: the context'\''s, else "default"\]]:NAMESPACE:_default' \
'-v+[Report the API requests made, per node and by verb, on stderr (\`-v\`, or kubectl'\''s \`-v=N\`\: any level above 0)]::LEVEL:_default' \
'--verbose=[Report the API requests made, per node and by verb, on stderr (\`-v\`, or kubectl'\''s \`-v=N\`\: any level above 0)]::LEVEL:_default' \
'--connect-timeout=[Give up on an API server that has not accepted the connection (TCP and TLS) within DUR]:DUR:_default' \
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
'--context=[kubeconfig context to use (the scan and top\: several, comma-separated)]:NAME:_default' \
'--kubeconfig=[Path to the kubeconfig file \[default\: \$KUBECONFIG, else ~/.kube/config\]]:FILE:_files' \
'-n+[Namespace for the agent pods \[default\: the context'\''s, else "default"\]]:NAMESPACE:_default' \
'--namespace=[Namespace for the agent pods \[default\: the context'\''s, else "default"\]]:NAMESPACE:_default' \
'-v+[Report the API requests made, per node and by verb, on stderr (\`-v\`, or kubectl'\''s \`-v=N\`\: any level above 0)]::LEVEL:_default' \
'--verbose=[Report the API requests made, per node and by verb, on stderr (\`-v\`, or kubectl'\''s \`-v=N\`\: any level above 0)]::LEVEL:_default' \
'--connect-timeout=[Give up on an API server that has not accepted the connection (TCP and TLS) within DUR]:DUR:_default' \
'--chain[Print crictl'\''s chain (\`crictl-which -o json\`) instead of the NodeReport]' \
'-h[Print help]' \
'--help[Print help]' \
&& ret=0
;;
(prune-agent)
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
'--job=[The node'\''s PruneJob, as JSON]:JSON:_default' \
'--context=[kubeconfig context to use (the scan and top\: several, comma-separated)]:NAME:_default' \
'--kubeconfig=[Path to the kubeconfig file \[default\: \$KUBECONFIG, else ~/.kube/config\]]:FILE:_files' \
'-n+[Namespace for the agent pods \[default\: the context'\''s, else "default"\]]:NAMESPACE:_default' \
'--namespace=[Namespace for the agent pods \[default\: the context'\''s, else "default"\]]:NAMESPACE:_default' \
'-v+[Report the API requests made, per node and by verb, on stderr (\`-v\`, or kubectl'\''s \`-v=N\`\: any level above 0)]::LEVEL:_default' \
'--verbose=[Report the API requests made, per node and by verb, on stderr (\`-v\`, or kubectl'\''s \`-v=N\`\: any level above 0)]::LEVEL:_default' \
'--connect-timeout=[Give up on an API server that has not accepted the connection (TCP and TLS) within DUR]:DUR:_default' \
'-h[Print help]' \
'--help[Print help]' \
&& ret=0
;;
(man)
_arguments "${_arguments_options[@]}" : \
'--context=[kubeconfig context to use (the scan and top\: several, comma-separated)]:NAME:_default' \
'--kubeconfig=[Path to the kubeconfig file \[default\: \$KUBECONFIG, else ~/.kube/config\]]:FILE:_files' \
'-n+[Namespace for the agent pods \[default\: the context'\''s, else "default"\]]:NAMESPACE:_default' \
'--namespace=[Namespace for the agent pods \[default\: the context'\''s, else "default"\]]:NAMESPACE:_default' \
'-v+[Report the API requests made, per node and by verb, on stderr (\`-v\`, or kubectl'\''s \`-v=N\`\: any level above 0)]::LEVEL:_default' \
'--verbose=[Report the API requests made, per node and by verb, on stderr (\`-v\`, or kubectl'\''s \`-v=N\`\: any level above 0)]::LEVEL:_default' \
'--connect-timeout=[Give up on an API server that has not accepted the connection (TCP and TLS) within DUR]:DUR:_default' \
'-h[Print help]' \
'--help[Print help]' \
':dir:_files' \
&& ret=0
;;
(__complete)
_arguments "${_arguments_options[@]}" : \
'--context=[kubeconfig context to use (the scan and top\: several, comma-separated)]:NAME:_default' \
'--kubeconfig=[Path to the kubeconfig file \[default\: \$KUBECONFIG, else ~/.kube/config\]]:FILE:_files' \
'-n+[Namespace for the agent pods \[default\: the context'\''s, else "default"\]]:NAMESPACE:_default' \
'--namespace=[Namespace for the agent pods \[default\: the context'\''s, else "default"\]]:NAMESPACE:_default' \
'-v+[Report the API requests made, per node and by verb, on stderr (\`-v\`, or kubectl'\''s \`-v=N\`\: any level above 0)]::LEVEL:_default' \
'--verbose=[Report the API requests made, per node and by verb, on stderr (\`-v\`, or kubectl'\''s \`-v=N\`\: any level above 0)]::LEVEL:_default' \
'--connect-timeout=[Give up on an API server that has not accepted the connection (TCP and TLS) within DUR]:DUR:_default' \
'*::words -- The words after `kubectl imgdup`; the last one is being completed:_default' \
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
(top)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(serve)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(which)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(cleanup)
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
(prune-agent)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(man)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(__complete)
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
'prune:Remove the extra copies of duplicated images, with guards and a measured proof' \
'top:The fleet view\: duplicated images across the nodes, biggest first, and leftover stores' \
'serve:Scan this node every interval; serve /metrics (Prometheus), /healthz and /report' \
'which:Show crictl'\''s endpoint chain on one node, hop by hop (crictl-which, run there)' \
'cleanup:Delete every agent pod this tool left, in any namespace (by label)' \
'completion:Print a shell completion script (bash, zsh, fish, powershell, elvish)' \
'agent:The node scan inside an agent pod\: prints the NodeReport as JSON' \
'prune-agent:One node'\''s approved prune inside its pod\: prints the PruneReport as JSON' \
'man:Write the man pages (kubectl-imgdup.1 and one per subcommand) into DIR' \
'__complete:kubectl'\''s plugin completion\: \`kubectl_complete-imgdup\` runs this' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'kubectl-imgdup commands' commands "$@"
}
(( $+functions[_kubectl-imgdup__subcmd____complete_commands] )) ||
_kubectl-imgdup__subcmd____complete_commands() {
    local commands; commands=()
    _describe -t commands 'kubectl-imgdup __complete commands' commands "$@"
}
(( $+functions[_kubectl-imgdup__subcmd__agent_commands] )) ||
_kubectl-imgdup__subcmd__agent_commands() {
    local commands; commands=()
    _describe -t commands 'kubectl-imgdup agent commands' commands "$@"
}
(( $+functions[_kubectl-imgdup__subcmd__cleanup_commands] )) ||
_kubectl-imgdup__subcmd__cleanup_commands() {
    local commands; commands=()
    _describe -t commands 'kubectl-imgdup cleanup commands' commands "$@"
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
'prune:Remove the extra copies of duplicated images, with guards and a measured proof' \
'top:The fleet view\: duplicated images across the nodes, biggest first, and leftover stores' \
'serve:Scan this node every interval; serve /metrics (Prometheus), /healthz and /report' \
'which:Show crictl'\''s endpoint chain on one node, hop by hop (crictl-which, run there)' \
'cleanup:Delete every agent pod this tool left, in any namespace (by label)' \
'completion:Print a shell completion script (bash, zsh, fish, powershell, elvish)' \
'agent:The node scan inside an agent pod\: prints the NodeReport as JSON' \
'prune-agent:One node'\''s approved prune inside its pod\: prints the PruneReport as JSON' \
'man:Write the man pages (kubectl-imgdup.1 and one per subcommand) into DIR' \
'__complete:kubectl'\''s plugin completion\: \`kubectl_complete-imgdup\` runs this' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'kubectl-imgdup help commands' commands "$@"
}
(( $+functions[_kubectl-imgdup__subcmd__help__subcmd____complete_commands] )) ||
_kubectl-imgdup__subcmd__help__subcmd____complete_commands() {
    local commands; commands=()
    _describe -t commands 'kubectl-imgdup help __complete commands' commands "$@"
}
(( $+functions[_kubectl-imgdup__subcmd__help__subcmd__agent_commands] )) ||
_kubectl-imgdup__subcmd__help__subcmd__agent_commands() {
    local commands; commands=()
    _describe -t commands 'kubectl-imgdup help agent commands' commands "$@"
}
(( $+functions[_kubectl-imgdup__subcmd__help__subcmd__cleanup_commands] )) ||
_kubectl-imgdup__subcmd__help__subcmd__cleanup_commands() {
    local commands; commands=()
    _describe -t commands 'kubectl-imgdup help cleanup commands' commands "$@"
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
(( $+functions[_kubectl-imgdup__subcmd__help__subcmd__man_commands] )) ||
_kubectl-imgdup__subcmd__help__subcmd__man_commands() {
    local commands; commands=()
    _describe -t commands 'kubectl-imgdup help man commands' commands "$@"
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
(( $+functions[_kubectl-imgdup__subcmd__help__subcmd__prune-agent_commands] )) ||
_kubectl-imgdup__subcmd__help__subcmd__prune-agent_commands() {
    local commands; commands=()
    _describe -t commands 'kubectl-imgdup help prune-agent commands' commands "$@"
}
(( $+functions[_kubectl-imgdup__subcmd__help__subcmd__serve_commands] )) ||
_kubectl-imgdup__subcmd__help__subcmd__serve_commands() {
    local commands; commands=()
    _describe -t commands 'kubectl-imgdup help serve commands' commands "$@"
}
(( $+functions[_kubectl-imgdup__subcmd__help__subcmd__top_commands] )) ||
_kubectl-imgdup__subcmd__help__subcmd__top_commands() {
    local commands; commands=()
    _describe -t commands 'kubectl-imgdup help top commands' commands "$@"
}
(( $+functions[_kubectl-imgdup__subcmd__help__subcmd__which_commands] )) ||
_kubectl-imgdup__subcmd__help__subcmd__which_commands() {
    local commands; commands=()
    _describe -t commands 'kubectl-imgdup help which commands' commands "$@"
}
(( $+functions[_kubectl-imgdup__subcmd__man_commands] )) ||
_kubectl-imgdup__subcmd__man_commands() {
    local commands; commands=()
    _describe -t commands 'kubectl-imgdup man commands' commands "$@"
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
(( $+functions[_kubectl-imgdup__subcmd__prune-agent_commands] )) ||
_kubectl-imgdup__subcmd__prune-agent_commands() {
    local commands; commands=()
    _describe -t commands 'kubectl-imgdup prune-agent commands' commands "$@"
}
(( $+functions[_kubectl-imgdup__subcmd__serve_commands] )) ||
_kubectl-imgdup__subcmd__serve_commands() {
    local commands; commands=()
    _describe -t commands 'kubectl-imgdup serve commands' commands "$@"
}
(( $+functions[_kubectl-imgdup__subcmd__top_commands] )) ||
_kubectl-imgdup__subcmd__top_commands() {
    local commands; commands=()
    _describe -t commands 'kubectl-imgdup top commands' commands "$@"
}
(( $+functions[_kubectl-imgdup__subcmd__which_commands] )) ||
_kubectl-imgdup__subcmd__which_commands() {
    local commands; commands=()
    _describe -t commands 'kubectl-imgdup which commands' commands "$@"
}

if [ "$funcstack[1]" = "_kubectl-imgdup" ]; then
    _kubectl-imgdup "$@"
else
    compdef _kubectl-imgdup kubectl-imgdup
fi

# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_kubectl_imgdup_global_optspecs
    string join \n context= kubeconfig= n/namespace= v/verbose= connect-timeout= l/selector= image= timeout= pending-timeout= keep-pods agent-binary= concurrency= o/output= fail-on-duplicates dry-run all-contexts h/help V/version
end

function __fish_kubectl_imgdup_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_kubectl_imgdup_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_kubectl_imgdup_using_subcommand
    set -l cmd (__fish_kubectl_imgdup_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_needs_command" -l context -d 'kubeconfig context to use (the scan and top: several, comma-separated)' -r
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_needs_command" -l kubeconfig -d 'Path to the kubeconfig file [default: $KUBECONFIG, else ~/.kube/config]' -r -F
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_needs_command" -s n -l namespace -d 'Namespace for the agent pods [default: the context\'s, else "default"]' -r
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_needs_command" -s v -l verbose -d 'Report the API requests made, per node and by verb, on stderr (`-v`, or kubectl\'s `-v=N`: any level above 0)' -r
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_needs_command" -l connect-timeout -d 'Give up on an API server that has not accepted the connection (TCP and TLS) within DUR' -r
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_needs_command" -s l -l selector -d 'Only nodes matching this label selector' -r
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_needs_command" -l image -d 'Agent image (a FROM-scratch image holding this binary)' -r
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_needs_command" -l timeout -d 'Each node\'s scan deadline (the pod\'s activeDeadlineSeconds adds 60 s)' -r
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_needs_command" -l pending-timeout -d 'How long a pod may stay Pending before its node is `unknown`' -r
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_needs_command" -l agent-binary -d 'Air-gapped: upload this Linux kubectl-imgdup binary into pods of --image (an image the nodes already have, with sh, cat, chmod, mv and sleep) and run it there' -r -F
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_needs_command" -l concurrency -d 'Agent pods at a time' -r
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_needs_command" -s o -l output -d 'Output format' -r -f -a "table\t''
wide\t''
json\t''
yaml\t''"
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_needs_command" -l keep-pods -d 'Leave the agent pods for debugging (they still end at their deadline)'
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_needs_command" -l fail-on-duplicates -d 'Exit 3 when any image is stored twice'
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_needs_command" -l dry-run -d 'Print the pods it would create (-o yaml); contacts no cluster'
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_needs_command" -l all-contexts -d 'Every context of the kubeconfig, concurrently; output grouped by context'
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_needs_command" -s h -l help -d 'Print help'
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_needs_command" -s V -l version -d 'Print version'
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_needs_command" -a "node" -d 'Scan one node: its stores, a verdict per image, and the reclaimable bytes'
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_needs_command" -a "prune" -d 'Remove the extra copies of duplicated images, with guards and a measured proof'
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_needs_command" -a "top" -d 'The fleet view: duplicated images across the nodes, biggest first, and leftover stores'
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_needs_command" -a "serve" -d 'Scan this node every interval; serve /metrics (Prometheus), /healthz and /report'
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_needs_command" -a "which" -d 'Show crictl\'s endpoint chain on one node, hop by hop (crictl-which, run there)'
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_needs_command" -a "cleanup" -d 'Delete every agent pod this tool left, in any namespace (by label)'
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_needs_command" -a "completion" -d 'Print a shell completion script (bash, zsh, fish, powershell, elvish)'
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_needs_command" -a "agent" -d 'The node scan inside an agent pod: prints the NodeReport as JSON'
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_needs_command" -a "prune-agent" -d 'One node\'s approved prune inside its pod: prints the PruneReport as JSON'
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_needs_command" -a "man" -d 'Write the man pages (kubectl-imgdup.1 and one per subcommand) into DIR'
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_needs_command" -a "__complete" -d 'kubectl\'s plugin completion: `kubectl_complete-imgdup` runs this'
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_needs_command" -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand node" -l host-root -d 'Directory that stands for the node\'s /' -r -F
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand node" -l proc -d 'procfs to scan for runtime processes [default: <host-root>/proc]' -r -F
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand node" -l node-name -d 'Node name in the report [default: the node\'s /etc/hostname]' -r
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand node" -s r -l runtime-endpoint -d 'CRI runtime endpoint, as crictl\'s -r (env CONTAINER_RUNTIME_ENDPOINT)' -r
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand node" -s i -l image-endpoint -d 'CRI image endpoint, as crictl\'s -i (env IMAGE_SERVICE_ENDPOINT)' -r
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand node" -l crictl-config -d 'crictl config file (env CRI_CONFIG_FILE; default /etc/crictl.yaml)' -r -F
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand node" -l timeout -d 'Deadline for each dial and API call, e.g. 2s' -r
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand node" -s o -l output -d 'Output format' -r -f -a "table\t''
wide\t''
json\t''
yaml\t''"
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand node" -l context -d 'kubeconfig context to use (the scan and top: several, comma-separated)' -r
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand node" -l kubeconfig -d 'Path to the kubeconfig file [default: $KUBECONFIG, else ~/.kube/config]' -r -F
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand node" -s n -l namespace -d 'Namespace for the agent pods [default: the context\'s, else "default"]' -r
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand node" -s v -l verbose -d 'Report the API requests made, per node and by verb, on stderr (`-v`, or kubectl\'s `-v=N`: any level above 0)' -r
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand node" -l connect-timeout -d 'Give up on an API server that has not accepted the connection (TCP and TLS) within DUR' -r
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand node" -l local -d 'Scan the node this runs on (`kubectl imgdup [NODE...]` scans the cluster)'
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand node" -l fail-on-duplicates -d 'Exit 3 when any image is stored twice'
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand node" -s h -l help -d 'Print help'
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand prune" -s l -l selector -d 'Only nodes matching this label selector' -r
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand prune" -l host-root -d 'Directory that stands for the node\'s /' -r -F
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand prune" -l proc -d 'procfs to scan for runtime processes [default: <host-root>/proc]' -r -F
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand prune" -l node-name -d 'Node name in the report [default: the node\'s /etc/hostname]' -r
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand prune" -s r -l runtime-endpoint -d 'CRI runtime endpoint, as crictl\'s -r (env CONTAINER_RUNTIME_ENDPOINT)' -r
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand prune" -s i -l image-endpoint -d 'CRI image endpoint, as crictl\'s -i (env IMAGE_SERVICE_ENDPOINT)' -r
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand prune" -l crictl-config -d 'crictl config file (env CRI_CONFIG_FILE; default /etc/crictl.yaml)' -r -F
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand prune" -l timeout -d 'Deadline for each dial and API call, e.g. 2s' -r
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand prune" -l image -d 'Agent image (a FROM-scratch image holding this binary)' -r
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand prune" -l pending-timeout -d 'How long a pod may stay Pending before its node is `unknown`' -r
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand prune" -l concurrency -d 'Pods at a time' -r
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand prune" -l exclude -d 'Keep images whose tag, repo digest or id matches this glob (repeatable)' -r
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand prune" -l remove-leftover-store -d 'Remove this whole offline store root (a runtime-switch leftover, e.g. /var/lib/docker) once nothing on the node can be using it (repeatable)' -r
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand prune" -s o -l output -d 'Output format' -r -f -a "text\t''
json\t''
yaml\t''"
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand prune" -l context -d 'kubeconfig context to use (the scan and top: several, comma-separated)' -r
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand prune" -l kubeconfig -d 'Path to the kubeconfig file [default: $KUBECONFIG, else ~/.kube/config]' -r -F
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand prune" -s n -l namespace -d 'Namespace for the agent pods [default: the context\'s, else "default"]' -r
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand prune" -s v -l verbose -d 'Report the API requests made, per node and by verb, on stderr (`-v`, or kubectl\'s `-v=N`: any level above 0)' -r
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand prune" -l connect-timeout -d 'Give up on an API server that has not accepted the connection (TCP and TLS) within DUR' -r
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand prune" -l local -d 'Prune the node this command runs on (in a debug pod: --host-root /host)'
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand prune" -l keep-pods -d 'Leave the pods for debugging (they still end at their deadline)'
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand prune" -l dry-run -d 'Print the plan (-o text: commands for a person; -o yaml: the prune pods), and remove nothing'
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand prune" -s y -l yes -d 'Remove without asking (without it: ask on a terminal, else remove nothing)'
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand prune" -s h -l help -d 'Print help'
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand top" -s l -l selector -d 'Only nodes matching this label selector' -r
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand top" -l sort-by -d 'Order of the image rows (numbers: biggest first)' -r -f -a "reclaimable\t''
copies\t''
nodes\t''
name\t''"
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand top" -s o -l output -d 'Output format (json and csv carry raw bytes)' -r -f -a "table\t''
wide\t''
json\t''
csv\t''"
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand top" -l image -d 'Agent image (a FROM-scratch image holding this binary)' -r
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand top" -l timeout -d 'Each node\'s scan deadline (the pod\'s activeDeadlineSeconds adds 60 s)' -r
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand top" -l pending-timeout -d 'How long a pod may stay Pending before its node is `unknown`' -r
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand top" -l agent-binary -d 'Air-gapped: upload this Linux kubectl-imgdup binary into pods of --image (an image the nodes already have, with sh, cat, chmod, mv and sleep) and run it there' -r -F
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand top" -l concurrency -d 'Agent pods at a time (nodes without a ready imgdup-serve pod)' -r
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand top" -l from-report -d 'Render a saved ClusterReport or TopReport (JSON) instead of asking a cluster' -r -F
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand top" -l context -d 'kubeconfig context to use (the scan and top: several, comma-separated)' -r
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand top" -l kubeconfig -d 'Path to the kubeconfig file [default: $KUBECONFIG, else ~/.kube/config]' -r -F
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand top" -s n -l namespace -d 'Namespace for the agent pods [default: the context\'s, else "default"]' -r
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand top" -s v -l verbose -d 'Report the API requests made, per node and by verb, on stderr (`-v`, or kubectl\'s `-v=N`: any level above 0)' -r
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand top" -l connect-timeout -d 'Give up on an API server that has not accepted the connection (TCP and TLS) within DUR' -r
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand top" -l keep-pods -d 'Leave the agent pods for debugging (they still end at their deadline)'
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand top" -l all-contexts -d 'Every context of the kubeconfig, concurrently; output grouped by context'
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand top" -s h -l help -d 'Print help'
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand serve" -l listen -d 'Address to serve /metrics, /healthz and /report on: HOST:PORT, or :PORT for every interface' -r
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand serve" -l interval -d 'Time between scans, ±10 % jitter; a scan never overlaps the previous one' -r
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand serve" -l top-images -d 'Also export imgdup_image_reclaimable_bytes{image} for the N images that free the most' -r
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand serve" -l host-root -d 'Directory that stands for the node\'s /' -r -F
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand serve" -l proc -d 'procfs to scan for runtime processes [default: <host-root>/proc]' -r -F
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand serve" -l node-name -d 'Node name in the report [default: the node\'s /etc/hostname]' -r
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand serve" -s r -l runtime-endpoint -d 'CRI runtime endpoint, as crictl\'s -r (env CONTAINER_RUNTIME_ENDPOINT)' -r
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand serve" -s i -l image-endpoint -d 'CRI image endpoint, as crictl\'s -i (env IMAGE_SERVICE_ENDPOINT)' -r
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand serve" -l crictl-config -d 'crictl config file (env CRI_CONFIG_FILE; default /etc/crictl.yaml)' -r -F
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand serve" -l timeout -d 'Deadline for each dial and API call, e.g. 2s' -r
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand serve" -l context -d 'kubeconfig context to use (the scan and top: several, comma-separated)' -r
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand serve" -l kubeconfig -d 'Path to the kubeconfig file [default: $KUBECONFIG, else ~/.kube/config]' -r -F
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand serve" -s n -l namespace -d 'Namespace for the agent pods [default: the context\'s, else "default"]' -r
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand serve" -s v -l verbose -d 'Report the API requests made, per node and by verb, on stderr (`-v`, or kubectl\'s `-v=N`: any level above 0)' -r
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand serve" -l connect-timeout -d 'Give up on an API server that has not accepted the connection (TCP and TLS) within DUR' -r
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand serve" -l full-priority -d 'Scan at normal CPU and I/O priority with all threads [default: nice 19, idle I/O class, one scan thread]'
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand serve" -s h -l help -d 'Print help'
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand which" -l image -d 'Agent image (a FROM-scratch image holding this binary)' -r
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand which" -l timeout -d 'Each node\'s scan deadline (the pod\'s activeDeadlineSeconds adds 60 s)' -r
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand which" -l pending-timeout -d 'How long a pod may stay Pending before its node is `unknown`' -r
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand which" -l agent-binary -d 'Air-gapped: upload this Linux kubectl-imgdup binary into pods of --image (an image the nodes already have, with sh, cat, chmod, mv and sleep) and run it there' -r -F
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand which" -s o -l output -d 'Output format' -r -f -a "text\t''
json\t''
yaml\t''"
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand which" -l context -d 'kubeconfig context to use (the scan and top: several, comma-separated)' -r
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand which" -l kubeconfig -d 'Path to the kubeconfig file [default: $KUBECONFIG, else ~/.kube/config]' -r -F
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand which" -s n -l namespace -d 'Namespace for the agent pods [default: the context\'s, else "default"]' -r
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand which" -s v -l verbose -d 'Report the API requests made, per node and by verb, on stderr (`-v`, or kubectl\'s `-v=N`: any level above 0)' -r
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand which" -l connect-timeout -d 'Give up on an API server that has not accepted the connection (TCP and TLS) within DUR' -r
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand which" -l keep-pods -d 'Leave the agent pods for debugging (they still end at their deadline)'
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand which" -s h -l help -d 'Print help'
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand cleanup" -l context -d 'kubeconfig context to use (the scan and top: several, comma-separated)' -r
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand cleanup" -l kubeconfig -d 'Path to the kubeconfig file [default: $KUBECONFIG, else ~/.kube/config]' -r -F
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand cleanup" -s n -l namespace -d 'Namespace for the agent pods [default: the context\'s, else "default"]' -r
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand cleanup" -s v -l verbose -d 'Report the API requests made, per node and by verb, on stderr (`-v`, or kubectl\'s `-v=N`: any level above 0)' -r
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand cleanup" -l connect-timeout -d 'Give up on an API server that has not accepted the connection (TCP and TLS) within DUR' -r
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand cleanup" -l dry-run -d 'List what would be deleted, delete nothing'
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand cleanup" -s h -l help -d 'Print help'
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand completion" -l context -d 'kubeconfig context to use (the scan and top: several, comma-separated)' -r
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand completion" -l kubeconfig -d 'Path to the kubeconfig file [default: $KUBECONFIG, else ~/.kube/config]' -r -F
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand completion" -s n -l namespace -d 'Namespace for the agent pods [default: the context\'s, else "default"]' -r
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand completion" -s v -l verbose -d 'Report the API requests made, per node and by verb, on stderr (`-v`, or kubectl\'s `-v=N`: any level above 0)' -r
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand completion" -l connect-timeout -d 'Give up on an API server that has not accepted the connection (TCP and TLS) within DUR' -r
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand completion" -s h -l help -d 'Print help'
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand agent" -l host-root -d 'Directory that stands for the node\'s /' -r -F
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand agent" -l proc -d 'procfs to scan for runtime processes [default: <host-root>/proc]' -r -F
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand agent" -l node-name -d 'Node name in the report [default: the node\'s /etc/hostname]' -r
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand agent" -s r -l runtime-endpoint -d 'CRI runtime endpoint, as crictl\'s -r (env CONTAINER_RUNTIME_ENDPOINT)' -r
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand agent" -s i -l image-endpoint -d 'CRI image endpoint, as crictl\'s -i (env IMAGE_SERVICE_ENDPOINT)' -r
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand agent" -l crictl-config -d 'crictl config file (env CRI_CONFIG_FILE; default /etc/crictl.yaml)' -r -F
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand agent" -l timeout -d 'Deadline for each dial and API call, e.g. 2s' -r
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand agent" -l context -d 'kubeconfig context to use (the scan and top: several, comma-separated)' -r
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand agent" -l kubeconfig -d 'Path to the kubeconfig file [default: $KUBECONFIG, else ~/.kube/config]' -r -F
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand agent" -s n -l namespace -d 'Namespace for the agent pods [default: the context\'s, else "default"]' -r
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand agent" -s v -l verbose -d 'Report the API requests made, per node and by verb, on stderr (`-v`, or kubectl\'s `-v=N`: any level above 0)' -r
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand agent" -l connect-timeout -d 'Give up on an API server that has not accepted the connection (TCP and TLS) within DUR' -r
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand agent" -l chain -d 'Print crictl\'s chain (`crictl-which -o json`) instead of the NodeReport'
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand agent" -s h -l help -d 'Print help'
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand prune-agent" -l host-root -d 'Directory that stands for the node\'s /' -r -F
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand prune-agent" -l proc -d 'procfs to scan for runtime processes [default: <host-root>/proc]' -r -F
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand prune-agent" -l node-name -d 'Node name in the report [default: the node\'s /etc/hostname]' -r
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand prune-agent" -s r -l runtime-endpoint -d 'CRI runtime endpoint, as crictl\'s -r (env CONTAINER_RUNTIME_ENDPOINT)' -r
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand prune-agent" -s i -l image-endpoint -d 'CRI image endpoint, as crictl\'s -i (env IMAGE_SERVICE_ENDPOINT)' -r
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand prune-agent" -l crictl-config -d 'crictl config file (env CRI_CONFIG_FILE; default /etc/crictl.yaml)' -r -F
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand prune-agent" -l timeout -d 'Deadline for each dial and API call, e.g. 2s' -r
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand prune-agent" -l job -d 'The node\'s PruneJob, as JSON' -r
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand prune-agent" -l context -d 'kubeconfig context to use (the scan and top: several, comma-separated)' -r
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand prune-agent" -l kubeconfig -d 'Path to the kubeconfig file [default: $KUBECONFIG, else ~/.kube/config]' -r -F
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand prune-agent" -s n -l namespace -d 'Namespace for the agent pods [default: the context\'s, else "default"]' -r
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand prune-agent" -s v -l verbose -d 'Report the API requests made, per node and by verb, on stderr (`-v`, or kubectl\'s `-v=N`: any level above 0)' -r
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand prune-agent" -l connect-timeout -d 'Give up on an API server that has not accepted the connection (TCP and TLS) within DUR' -r
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand prune-agent" -s h -l help -d 'Print help'
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand man" -l context -d 'kubeconfig context to use (the scan and top: several, comma-separated)' -r
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand man" -l kubeconfig -d 'Path to the kubeconfig file [default: $KUBECONFIG, else ~/.kube/config]' -r -F
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand man" -s n -l namespace -d 'Namespace for the agent pods [default: the context\'s, else "default"]' -r
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand man" -s v -l verbose -d 'Report the API requests made, per node and by verb, on stderr (`-v`, or kubectl\'s `-v=N`: any level above 0)' -r
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand man" -l connect-timeout -d 'Give up on an API server that has not accepted the connection (TCP and TLS) within DUR' -r
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand man" -s h -l help -d 'Print help'
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand __complete" -l context -d 'kubeconfig context to use (the scan and top: several, comma-separated)' -r
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand __complete" -l kubeconfig -d 'Path to the kubeconfig file [default: $KUBECONFIG, else ~/.kube/config]' -r -F
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand __complete" -s n -l namespace -d 'Namespace for the agent pods [default: the context\'s, else "default"]' -r
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand __complete" -s v -l verbose -d 'Report the API requests made, per node and by verb, on stderr (`-v`, or kubectl\'s `-v=N`: any level above 0)' -r
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand __complete" -l connect-timeout -d 'Give up on an API server that has not accepted the connection (TCP and TLS) within DUR' -r
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand help; and not __fish_seen_subcommand_from node prune top serve which cleanup completion agent prune-agent man __complete help" -f -a "node" -d 'Scan one node: its stores, a verdict per image, and the reclaimable bytes'
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand help; and not __fish_seen_subcommand_from node prune top serve which cleanup completion agent prune-agent man __complete help" -f -a "prune" -d 'Remove the extra copies of duplicated images, with guards and a measured proof'
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand help; and not __fish_seen_subcommand_from node prune top serve which cleanup completion agent prune-agent man __complete help" -f -a "top" -d 'The fleet view: duplicated images across the nodes, biggest first, and leftover stores'
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand help; and not __fish_seen_subcommand_from node prune top serve which cleanup completion agent prune-agent man __complete help" -f -a "serve" -d 'Scan this node every interval; serve /metrics (Prometheus), /healthz and /report'
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand help; and not __fish_seen_subcommand_from node prune top serve which cleanup completion agent prune-agent man __complete help" -f -a "which" -d 'Show crictl\'s endpoint chain on one node, hop by hop (crictl-which, run there)'
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand help; and not __fish_seen_subcommand_from node prune top serve which cleanup completion agent prune-agent man __complete help" -f -a "cleanup" -d 'Delete every agent pod this tool left, in any namespace (by label)'
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand help; and not __fish_seen_subcommand_from node prune top serve which cleanup completion agent prune-agent man __complete help" -f -a "completion" -d 'Print a shell completion script (bash, zsh, fish, powershell, elvish)'
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand help; and not __fish_seen_subcommand_from node prune top serve which cleanup completion agent prune-agent man __complete help" -f -a "agent" -d 'The node scan inside an agent pod: prints the NodeReport as JSON'
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand help; and not __fish_seen_subcommand_from node prune top serve which cleanup completion agent prune-agent man __complete help" -f -a "prune-agent" -d 'One node\'s approved prune inside its pod: prints the PruneReport as JSON'
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand help; and not __fish_seen_subcommand_from node prune top serve which cleanup completion agent prune-agent man __complete help" -f -a "man" -d 'Write the man pages (kubectl-imgdup.1 and one per subcommand) into DIR'
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand help; and not __fish_seen_subcommand_from node prune top serve which cleanup completion agent prune-agent man __complete help" -f -a "__complete" -d 'kubectl\'s plugin completion: `kubectl_complete-imgdup` runs this'
complete -c kubectl-imgdup -n "__fish_kubectl_imgdup_using_subcommand help; and not __fish_seen_subcommand_from node prune top serve which cleanup completion agent prune-agent man __complete help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'


using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'kubectl-imgdup' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'kubectl-imgdup'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'kubectl-imgdup' {
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'kubeconfig context to use (the scan and top: several, comma-separated)')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file [default: $KUBECONFIG, else ~/.kube/config]')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Namespace for the agent pods [default: the context''s, else "default"]')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Namespace for the agent pods [default: the context''s, else "default"]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Report the API requests made, per node and by verb, on stderr (`-v`, or kubectl''s `-v=N`: any level above 0)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Report the API requests made, per node and by verb, on stderr (`-v`, or kubectl''s `-v=N`: any level above 0)')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Give up on an API server that has not accepted the connection (TCP and TLS) within DUR')
            [CompletionResult]::new('-l', '-l', [CompletionResultType]::ParameterName, 'Only nodes matching this label selector')
            [CompletionResult]::new('--selector', '--selector', [CompletionResultType]::ParameterName, 'Only nodes matching this label selector')
            [CompletionResult]::new('--image', '--image', [CompletionResultType]::ParameterName, 'Agent image (a FROM-scratch image holding this binary)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Each node''s scan deadline (the pod''s activeDeadlineSeconds adds 60 s)')
            [CompletionResult]::new('--pending-timeout', '--pending-timeout', [CompletionResultType]::ParameterName, 'How long a pod may stay Pending before its node is `unknown`')
            [CompletionResult]::new('--agent-binary', '--agent-binary', [CompletionResultType]::ParameterName, 'Air-gapped: upload this Linux kubectl-imgdup binary into pods of --image (an image the nodes already have, with sh, cat, chmod, mv and sleep) and run it there')
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'Agent pods at a time')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--keep-pods', '--keep-pods', [CompletionResultType]::ParameterName, 'Leave the agent pods for debugging (they still end at their deadline)')
            [CompletionResult]::new('--fail-on-duplicates', '--fail-on-duplicates', [CompletionResultType]::ParameterName, 'Exit 3 when any image is stored twice')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the pods it would create (-o yaml); contacts no cluster')
            [CompletionResult]::new('--all-contexts', '--all-contexts', [CompletionResultType]::ParameterName, 'Every context of the kubeconfig, concurrently; output grouped by context')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('node', 'node', [CompletionResultType]::ParameterValue, 'Scan one node: its stores, a verdict per image, and the reclaimable bytes')
            [CompletionResult]::new('prune', 'prune', [CompletionResultType]::ParameterValue, 'Remove the extra copies of duplicated images, with guards and a measured proof')
            [CompletionResult]::new('top', 'top', [CompletionResultType]::ParameterValue, 'The fleet view: duplicated images across the nodes, biggest first, and leftover stores')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Scan this node every interval; serve /metrics (Prometheus), /healthz and /report')
            [CompletionResult]::new('which', 'which', [CompletionResultType]::ParameterValue, 'Show crictl''s endpoint chain on one node, hop by hop (crictl-which, run there)')
            [CompletionResult]::new('cleanup', 'cleanup', [CompletionResultType]::ParameterValue, 'Delete every agent pod this tool left, in any namespace (by label)')
            [CompletionResult]::new('completion', 'completion', [CompletionResultType]::ParameterValue, 'Print a shell completion script (bash, zsh, fish, powershell, elvish)')
            [CompletionResult]::new('agent', 'agent', [CompletionResultType]::ParameterValue, 'The node scan inside an agent pod: prints the NodeReport as JSON')
            [CompletionResult]::new('prune-agent', 'prune-agent', [CompletionResultType]::ParameterValue, 'One node''s approved prune inside its pod: prints the PruneReport as JSON')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Write the man pages (kubectl-imgdup.1 and one per subcommand) into DIR')
            [CompletionResult]::new('__complete', '__complete', [CompletionResultType]::ParameterValue, 'kubectl''s plugin completion: `kubectl_complete-imgdup` runs this')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'kubectl-imgdup;node' {
            [CompletionResult]::new('--host-root', '--host-root', [CompletionResultType]::ParameterName, 'Directory that stands for the node''s /')
            [CompletionResult]::new('--proc', '--proc', [CompletionResultType]::ParameterName, 'procfs to scan for runtime processes [default: <host-root>/proc]')
            [CompletionResult]::new('--node-name', '--node-name', [CompletionResultType]::ParameterName, 'Node name in the report [default: the node''s /etc/hostname]')
            [CompletionResult]::new('-r', '-r', [CompletionResultType]::ParameterName, 'CRI runtime endpoint, as crictl''s -r (env CONTAINER_RUNTIME_ENDPOINT)')
            [CompletionResult]::new('--runtime-endpoint', '--runtime-endpoint', [CompletionResultType]::ParameterName, 'CRI runtime endpoint, as crictl''s -r (env CONTAINER_RUNTIME_ENDPOINT)')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'CRI image endpoint, as crictl''s -i (env IMAGE_SERVICE_ENDPOINT)')
            [CompletionResult]::new('--image-endpoint', '--image-endpoint', [CompletionResultType]::ParameterName, 'CRI image endpoint, as crictl''s -i (env IMAGE_SERVICE_ENDPOINT)')
            [CompletionResult]::new('--crictl-config', '--crictl-config', [CompletionResultType]::ParameterName, 'crictl config file (env CRI_CONFIG_FILE; default /etc/crictl.yaml)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Deadline for each dial and API call, e.g. 2s')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'kubeconfig context to use (the scan and top: several, comma-separated)')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file [default: $KUBECONFIG, else ~/.kube/config]')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Namespace for the agent pods [default: the context''s, else "default"]')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Namespace for the agent pods [default: the context''s, else "default"]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Report the API requests made, per node and by verb, on stderr (`-v`, or kubectl''s `-v=N`: any level above 0)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Report the API requests made, per node and by verb, on stderr (`-v`, or kubectl''s `-v=N`: any level above 0)')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Give up on an API server that has not accepted the connection (TCP and TLS) within DUR')
            [CompletionResult]::new('--local', '--local', [CompletionResultType]::ParameterName, 'Scan the node this runs on (`kubectl imgdup [NODE...]` scans the cluster)')
            [CompletionResult]::new('--fail-on-duplicates', '--fail-on-duplicates', [CompletionResultType]::ParameterName, 'Exit 3 when any image is stored twice')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'kubectl-imgdup;prune' {
            [CompletionResult]::new('-l', '-l', [CompletionResultType]::ParameterName, 'Only nodes matching this label selector')
            [CompletionResult]::new('--selector', '--selector', [CompletionResultType]::ParameterName, 'Only nodes matching this label selector')
            [CompletionResult]::new('--host-root', '--host-root', [CompletionResultType]::ParameterName, 'Directory that stands for the node''s /')
            [CompletionResult]::new('--proc', '--proc', [CompletionResultType]::ParameterName, 'procfs to scan for runtime processes [default: <host-root>/proc]')
            [CompletionResult]::new('--node-name', '--node-name', [CompletionResultType]::ParameterName, 'Node name in the report [default: the node''s /etc/hostname]')
            [CompletionResult]::new('-r', '-r', [CompletionResultType]::ParameterName, 'CRI runtime endpoint, as crictl''s -r (env CONTAINER_RUNTIME_ENDPOINT)')
            [CompletionResult]::new('--runtime-endpoint', '--runtime-endpoint', [CompletionResultType]::ParameterName, 'CRI runtime endpoint, as crictl''s -r (env CONTAINER_RUNTIME_ENDPOINT)')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'CRI image endpoint, as crictl''s -i (env IMAGE_SERVICE_ENDPOINT)')
            [CompletionResult]::new('--image-endpoint', '--image-endpoint', [CompletionResultType]::ParameterName, 'CRI image endpoint, as crictl''s -i (env IMAGE_SERVICE_ENDPOINT)')
            [CompletionResult]::new('--crictl-config', '--crictl-config', [CompletionResultType]::ParameterName, 'crictl config file (env CRI_CONFIG_FILE; default /etc/crictl.yaml)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Deadline for each dial and API call, e.g. 2s')
            [CompletionResult]::new('--image', '--image', [CompletionResultType]::ParameterName, 'Agent image (a FROM-scratch image holding this binary)')
            [CompletionResult]::new('--pending-timeout', '--pending-timeout', [CompletionResultType]::ParameterName, 'How long a pod may stay Pending before its node is `unknown`')
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'Pods at a time')
            [CompletionResult]::new('--exclude', '--exclude', [CompletionResultType]::ParameterName, 'Keep images whose tag, repo digest or id matches this glob (repeatable)')
            [CompletionResult]::new('--remove-leftover-store', '--remove-leftover-store', [CompletionResultType]::ParameterName, 'Remove this whole offline store root (a runtime-switch leftover, e.g. /var/lib/docker) once nothing on the node can be using it (repeatable)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'kubeconfig context to use (the scan and top: several, comma-separated)')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file [default: $KUBECONFIG, else ~/.kube/config]')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Namespace for the agent pods [default: the context''s, else "default"]')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Namespace for the agent pods [default: the context''s, else "default"]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Report the API requests made, per node and by verb, on stderr (`-v`, or kubectl''s `-v=N`: any level above 0)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Report the API requests made, per node and by verb, on stderr (`-v`, or kubectl''s `-v=N`: any level above 0)')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Give up on an API server that has not accepted the connection (TCP and TLS) within DUR')
            [CompletionResult]::new('--local', '--local', [CompletionResultType]::ParameterName, 'Prune the node this command runs on (in a debug pod: --host-root /host)')
            [CompletionResult]::new('--keep-pods', '--keep-pods', [CompletionResultType]::ParameterName, 'Leave the pods for debugging (they still end at their deadline)')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the plan (-o text: commands for a person; -o yaml: the prune pods), and remove nothing')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Remove without asking (without it: ask on a terminal, else remove nothing)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Remove without asking (without it: ask on a terminal, else remove nothing)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'kubectl-imgdup;top' {
            [CompletionResult]::new('-l', '-l', [CompletionResultType]::ParameterName, 'Only nodes matching this label selector')
            [CompletionResult]::new('--selector', '--selector', [CompletionResultType]::ParameterName, 'Only nodes matching this label selector')
            [CompletionResult]::new('--sort-by', '--sort-by', [CompletionResultType]::ParameterName, 'Order of the image rows (numbers: biggest first)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format (json and csv carry raw bytes)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format (json and csv carry raw bytes)')
            [CompletionResult]::new('--image', '--image', [CompletionResultType]::ParameterName, 'Agent image (a FROM-scratch image holding this binary)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Each node''s scan deadline (the pod''s activeDeadlineSeconds adds 60 s)')
            [CompletionResult]::new('--pending-timeout', '--pending-timeout', [CompletionResultType]::ParameterName, 'How long a pod may stay Pending before its node is `unknown`')
            [CompletionResult]::new('--agent-binary', '--agent-binary', [CompletionResultType]::ParameterName, 'Air-gapped: upload this Linux kubectl-imgdup binary into pods of --image (an image the nodes already have, with sh, cat, chmod, mv and sleep) and run it there')
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'Agent pods at a time (nodes without a ready imgdup-serve pod)')
            [CompletionResult]::new('--from-report', '--from-report', [CompletionResultType]::ParameterName, 'Render a saved ClusterReport or TopReport (JSON) instead of asking a cluster')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'kubeconfig context to use (the scan and top: several, comma-separated)')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file [default: $KUBECONFIG, else ~/.kube/config]')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Namespace for the agent pods [default: the context''s, else "default"]')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Namespace for the agent pods [default: the context''s, else "default"]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Report the API requests made, per node and by verb, on stderr (`-v`, or kubectl''s `-v=N`: any level above 0)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Report the API requests made, per node and by verb, on stderr (`-v`, or kubectl''s `-v=N`: any level above 0)')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Give up on an API server that has not accepted the connection (TCP and TLS) within DUR')
            [CompletionResult]::new('--keep-pods', '--keep-pods', [CompletionResultType]::ParameterName, 'Leave the agent pods for debugging (they still end at their deadline)')
            [CompletionResult]::new('--all-contexts', '--all-contexts', [CompletionResultType]::ParameterName, 'Every context of the kubeconfig, concurrently; output grouped by context')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'kubectl-imgdup;serve' {
            [CompletionResult]::new('--listen', '--listen', [CompletionResultType]::ParameterName, 'Address to serve /metrics, /healthz and /report on: HOST:PORT, or :PORT for every interface')
            [CompletionResult]::new('--interval', '--interval', [CompletionResultType]::ParameterName, 'Time between scans, ±10 % jitter; a scan never overlaps the previous one')
            [CompletionResult]::new('--top-images', '--top-images', [CompletionResultType]::ParameterName, 'Also export imgdup_image_reclaimable_bytes{image} for the N images that free the most')
            [CompletionResult]::new('--host-root', '--host-root', [CompletionResultType]::ParameterName, 'Directory that stands for the node''s /')
            [CompletionResult]::new('--proc', '--proc', [CompletionResultType]::ParameterName, 'procfs to scan for runtime processes [default: <host-root>/proc]')
            [CompletionResult]::new('--node-name', '--node-name', [CompletionResultType]::ParameterName, 'Node name in the report [default: the node''s /etc/hostname]')
            [CompletionResult]::new('-r', '-r', [CompletionResultType]::ParameterName, 'CRI runtime endpoint, as crictl''s -r (env CONTAINER_RUNTIME_ENDPOINT)')
            [CompletionResult]::new('--runtime-endpoint', '--runtime-endpoint', [CompletionResultType]::ParameterName, 'CRI runtime endpoint, as crictl''s -r (env CONTAINER_RUNTIME_ENDPOINT)')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'CRI image endpoint, as crictl''s -i (env IMAGE_SERVICE_ENDPOINT)')
            [CompletionResult]::new('--image-endpoint', '--image-endpoint', [CompletionResultType]::ParameterName, 'CRI image endpoint, as crictl''s -i (env IMAGE_SERVICE_ENDPOINT)')
            [CompletionResult]::new('--crictl-config', '--crictl-config', [CompletionResultType]::ParameterName, 'crictl config file (env CRI_CONFIG_FILE; default /etc/crictl.yaml)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Deadline for each dial and API call, e.g. 2s')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'kubeconfig context to use (the scan and top: several, comma-separated)')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file [default: $KUBECONFIG, else ~/.kube/config]')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Namespace for the agent pods [default: the context''s, else "default"]')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Namespace for the agent pods [default: the context''s, else "default"]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Report the API requests made, per node and by verb, on stderr (`-v`, or kubectl''s `-v=N`: any level above 0)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Report the API requests made, per node and by verb, on stderr (`-v`, or kubectl''s `-v=N`: any level above 0)')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Give up on an API server that has not accepted the connection (TCP and TLS) within DUR')
            [CompletionResult]::new('--full-priority', '--full-priority', [CompletionResultType]::ParameterName, 'Scan at normal CPU and I/O priority with all threads [default: nice 19, idle I/O class, one scan thread]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'kubectl-imgdup;which' {
            [CompletionResult]::new('--image', '--image', [CompletionResultType]::ParameterName, 'Agent image (a FROM-scratch image holding this binary)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Each node''s scan deadline (the pod''s activeDeadlineSeconds adds 60 s)')
            [CompletionResult]::new('--pending-timeout', '--pending-timeout', [CompletionResultType]::ParameterName, 'How long a pod may stay Pending before its node is `unknown`')
            [CompletionResult]::new('--agent-binary', '--agent-binary', [CompletionResultType]::ParameterName, 'Air-gapped: upload this Linux kubectl-imgdup binary into pods of --image (an image the nodes already have, with sh, cat, chmod, mv and sleep) and run it there')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'kubeconfig context to use (the scan and top: several, comma-separated)')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file [default: $KUBECONFIG, else ~/.kube/config]')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Namespace for the agent pods [default: the context''s, else "default"]')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Namespace for the agent pods [default: the context''s, else "default"]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Report the API requests made, per node and by verb, on stderr (`-v`, or kubectl''s `-v=N`: any level above 0)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Report the API requests made, per node and by verb, on stderr (`-v`, or kubectl''s `-v=N`: any level above 0)')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Give up on an API server that has not accepted the connection (TCP and TLS) within DUR')
            [CompletionResult]::new('--keep-pods', '--keep-pods', [CompletionResultType]::ParameterName, 'Leave the agent pods for debugging (they still end at their deadline)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'kubectl-imgdup;cleanup' {
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'kubeconfig context to use (the scan and top: several, comma-separated)')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file [default: $KUBECONFIG, else ~/.kube/config]')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Namespace for the agent pods [default: the context''s, else "default"]')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Namespace for the agent pods [default: the context''s, else "default"]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Report the API requests made, per node and by verb, on stderr (`-v`, or kubectl''s `-v=N`: any level above 0)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Report the API requests made, per node and by verb, on stderr (`-v`, or kubectl''s `-v=N`: any level above 0)')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Give up on an API server that has not accepted the connection (TCP and TLS) within DUR')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'List what would be deleted, delete nothing')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'kubectl-imgdup;completion' {
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'kubeconfig context to use (the scan and top: several, comma-separated)')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file [default: $KUBECONFIG, else ~/.kube/config]')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Namespace for the agent pods [default: the context''s, else "default"]')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Namespace for the agent pods [default: the context''s, else "default"]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Report the API requests made, per node and by verb, on stderr (`-v`, or kubectl''s `-v=N`: any level above 0)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Report the API requests made, per node and by verb, on stderr (`-v`, or kubectl''s `-v=N`: any level above 0)')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Give up on an API server that has not accepted the connection (TCP and TLS) within DUR')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'kubectl-imgdup;agent' {
            [CompletionResult]::new('--host-root', '--host-root', [CompletionResultType]::ParameterName, 'Directory that stands for the node''s /')
            [CompletionResult]::new('--proc', '--proc', [CompletionResultType]::ParameterName, 'procfs to scan for runtime processes [default: <host-root>/proc]')
            [CompletionResult]::new('--node-name', '--node-name', [CompletionResultType]::ParameterName, 'Node name in the report [default: the node''s /etc/hostname]')
            [CompletionResult]::new('-r', '-r', [CompletionResultType]::ParameterName, 'CRI runtime endpoint, as crictl''s -r (env CONTAINER_RUNTIME_ENDPOINT)')
            [CompletionResult]::new('--runtime-endpoint', '--runtime-endpoint', [CompletionResultType]::ParameterName, 'CRI runtime endpoint, as crictl''s -r (env CONTAINER_RUNTIME_ENDPOINT)')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'CRI image endpoint, as crictl''s -i (env IMAGE_SERVICE_ENDPOINT)')
            [CompletionResult]::new('--image-endpoint', '--image-endpoint', [CompletionResultType]::ParameterName, 'CRI image endpoint, as crictl''s -i (env IMAGE_SERVICE_ENDPOINT)')
            [CompletionResult]::new('--crictl-config', '--crictl-config', [CompletionResultType]::ParameterName, 'crictl config file (env CRI_CONFIG_FILE; default /etc/crictl.yaml)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Deadline for each dial and API call, e.g. 2s')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'kubeconfig context to use (the scan and top: several, comma-separated)')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file [default: $KUBECONFIG, else ~/.kube/config]')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Namespace for the agent pods [default: the context''s, else "default"]')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Namespace for the agent pods [default: the context''s, else "default"]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Report the API requests made, per node and by verb, on stderr (`-v`, or kubectl''s `-v=N`: any level above 0)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Report the API requests made, per node and by verb, on stderr (`-v`, or kubectl''s `-v=N`: any level above 0)')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Give up on an API server that has not accepted the connection (TCP and TLS) within DUR')
            [CompletionResult]::new('--chain', '--chain', [CompletionResultType]::ParameterName, 'Print crictl''s chain (`crictl-which -o json`) instead of the NodeReport')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'kubectl-imgdup;prune-agent' {
            [CompletionResult]::new('--host-root', '--host-root', [CompletionResultType]::ParameterName, 'Directory that stands for the node''s /')
            [CompletionResult]::new('--proc', '--proc', [CompletionResultType]::ParameterName, 'procfs to scan for runtime processes [default: <host-root>/proc]')
            [CompletionResult]::new('--node-name', '--node-name', [CompletionResultType]::ParameterName, 'Node name in the report [default: the node''s /etc/hostname]')
            [CompletionResult]::new('-r', '-r', [CompletionResultType]::ParameterName, 'CRI runtime endpoint, as crictl''s -r (env CONTAINER_RUNTIME_ENDPOINT)')
            [CompletionResult]::new('--runtime-endpoint', '--runtime-endpoint', [CompletionResultType]::ParameterName, 'CRI runtime endpoint, as crictl''s -r (env CONTAINER_RUNTIME_ENDPOINT)')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'CRI image endpoint, as crictl''s -i (env IMAGE_SERVICE_ENDPOINT)')
            [CompletionResult]::new('--image-endpoint', '--image-endpoint', [CompletionResultType]::ParameterName, 'CRI image endpoint, as crictl''s -i (env IMAGE_SERVICE_ENDPOINT)')
            [CompletionResult]::new('--crictl-config', '--crictl-config', [CompletionResultType]::ParameterName, 'crictl config file (env CRI_CONFIG_FILE; default /etc/crictl.yaml)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Deadline for each dial and API call, e.g. 2s')
            [CompletionResult]::new('--job', '--job', [CompletionResultType]::ParameterName, 'The node''s PruneJob, as JSON')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'kubeconfig context to use (the scan and top: several, comma-separated)')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file [default: $KUBECONFIG, else ~/.kube/config]')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Namespace for the agent pods [default: the context''s, else "default"]')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Namespace for the agent pods [default: the context''s, else "default"]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Report the API requests made, per node and by verb, on stderr (`-v`, or kubectl''s `-v=N`: any level above 0)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Report the API requests made, per node and by verb, on stderr (`-v`, or kubectl''s `-v=N`: any level above 0)')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Give up on an API server that has not accepted the connection (TCP and TLS) within DUR')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'kubectl-imgdup;man' {
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'kubeconfig context to use (the scan and top: several, comma-separated)')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file [default: $KUBECONFIG, else ~/.kube/config]')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Namespace for the agent pods [default: the context''s, else "default"]')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Namespace for the agent pods [default: the context''s, else "default"]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Report the API requests made, per node and by verb, on stderr (`-v`, or kubectl''s `-v=N`: any level above 0)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Report the API requests made, per node and by verb, on stderr (`-v`, or kubectl''s `-v=N`: any level above 0)')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Give up on an API server that has not accepted the connection (TCP and TLS) within DUR')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'kubectl-imgdup;__complete' {
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'kubeconfig context to use (the scan and top: several, comma-separated)')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file [default: $KUBECONFIG, else ~/.kube/config]')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Namespace for the agent pods [default: the context''s, else "default"]')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Namespace for the agent pods [default: the context''s, else "default"]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Report the API requests made, per node and by verb, on stderr (`-v`, or kubectl''s `-v=N`: any level above 0)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Report the API requests made, per node and by verb, on stderr (`-v`, or kubectl''s `-v=N`: any level above 0)')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Give up on an API server that has not accepted the connection (TCP and TLS) within DUR')
            break
        }
        'kubectl-imgdup;help' {
            [CompletionResult]::new('node', 'node', [CompletionResultType]::ParameterValue, 'Scan one node: its stores, a verdict per image, and the reclaimable bytes')
            [CompletionResult]::new('prune', 'prune', [CompletionResultType]::ParameterValue, 'Remove the extra copies of duplicated images, with guards and a measured proof')
            [CompletionResult]::new('top', 'top', [CompletionResultType]::ParameterValue, 'The fleet view: duplicated images across the nodes, biggest first, and leftover stores')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Scan this node every interval; serve /metrics (Prometheus), /healthz and /report')
            [CompletionResult]::new('which', 'which', [CompletionResultType]::ParameterValue, 'Show crictl''s endpoint chain on one node, hop by hop (crictl-which, run there)')
            [CompletionResult]::new('cleanup', 'cleanup', [CompletionResultType]::ParameterValue, 'Delete every agent pod this tool left, in any namespace (by label)')
            [CompletionResult]::new('completion', 'completion', [CompletionResultType]::ParameterValue, 'Print a shell completion script (bash, zsh, fish, powershell, elvish)')
            [CompletionResult]::new('agent', 'agent', [CompletionResultType]::ParameterValue, 'The node scan inside an agent pod: prints the NodeReport as JSON')
            [CompletionResult]::new('prune-agent', 'prune-agent', [CompletionResultType]::ParameterValue, 'One node''s approved prune inside its pod: prints the PruneReport as JSON')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Write the man pages (kubectl-imgdup.1 and one per subcommand) into DIR')
            [CompletionResult]::new('__complete', '__complete', [CompletionResultType]::ParameterValue, 'kubectl''s plugin completion: `kubectl_complete-imgdup` runs this')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'kubectl-imgdup;help;node' {
            break
        }
        'kubectl-imgdup;help;prune' {
            break
        }
        'kubectl-imgdup;help;top' {
            break
        }
        'kubectl-imgdup;help;serve' {
            break
        }
        'kubectl-imgdup;help;which' {
            break
        }
        'kubectl-imgdup;help;cleanup' {
            break
        }
        'kubectl-imgdup;help;completion' {
            break
        }
        'kubectl-imgdup;help;agent' {
            break
        }
        'kubectl-imgdup;help;prune-agent' {
            break
        }
        'kubectl-imgdup;help;man' {
            break
        }
        'kubectl-imgdup;help;__complete' {
            break
        }
        'kubectl-imgdup;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}


using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'crictl-which' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'crictl-which'
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
        'crictl-which' {
            [CompletionResult]::new('-r', '-r', [CompletionResultType]::ParameterName, 'CRI runtime endpoint, as crictl''s -r (env CONTAINER_RUNTIME_ENDPOINT)')
            [CompletionResult]::new('--runtime-endpoint', '--runtime-endpoint', [CompletionResultType]::ParameterName, 'CRI runtime endpoint, as crictl''s -r (env CONTAINER_RUNTIME_ENDPOINT)')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'CRI image endpoint, as crictl''s -i (env IMAGE_SERVICE_ENDPOINT)')
            [CompletionResult]::new('--image-endpoint', '--image-endpoint', [CompletionResultType]::ParameterName, 'CRI image endpoint, as crictl''s -i (env IMAGE_SERVICE_ENDPOINT)')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'crictl config file, as crictl''s -c (env CRI_CONFIG_FILE; default /etc/crictl.yaml)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'crictl config file, as crictl''s -c (env CRI_CONFIG_FILE; default /etc/crictl.yaml)')
            [CompletionResult]::new('--host-root', '--host-root', [CompletionResultType]::ParameterName, 'Directory that stands for the node''s / (e.g. /host in a debug pod)')
            [CompletionResult]::new('--proc', '--proc', [CompletionResultType]::ParameterName, 'procfs to scan for runtime processes [default: <host-root>/proc]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'Deadline for each dial and API call, e.g. 2s or 500ms [default: crictl''s: config timeout, else 2s]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Deadline for each dial and API call, e.g. 2s or 500ms [default: crictl''s: config timeout, else 2s]')
            [CompletionResult]::new('--completions', '--completions', [CompletionResultType]::ParameterName, 'Print a shell completion script and exit')
            [CompletionResult]::new('--offline', '--offline', [CompletionResultType]::ParameterName, 'Never dial a socket: read processes, config files and defaults only')
            [CompletionResult]::new('--man', '--man', [CompletionResultType]::ParameterName, 'Print the man page (roff) and exit')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}

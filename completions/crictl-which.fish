complete -c crictl-which -s r -l runtime-endpoint -d 'CRI runtime endpoint, as crictl\'s -r (env CONTAINER_RUNTIME_ENDPOINT)' -r
complete -c crictl-which -s i -l image-endpoint -d 'CRI image endpoint, as crictl\'s -i (env IMAGE_SERVICE_ENDPOINT)' -r
complete -c crictl-which -s c -l config -d 'crictl config file, as crictl\'s -c (env CRI_CONFIG_FILE; default /etc/crictl.yaml)' -r -F
complete -c crictl-which -l host-root -d 'Directory that stands for the node\'s / (e.g. /host in a debug pod)' -r -F
complete -c crictl-which -l proc -d 'procfs to scan for runtime processes [default: <host-root>/proc]' -r -F
complete -c crictl-which -s o -l output -d 'Output format' -r -f -a "text\t''
json\t''
yaml\t''"
complete -c crictl-which -s t -l timeout -d 'Deadline for each dial and API call, e.g. 2s or 500ms [default: crictl\'s: config timeout, else 2s]' -r
complete -c crictl-which -l completions -d 'Print a shell completion script and exit' -r -f -a "bash\t''
elvish\t''
fish\t''
powershell\t''
zsh\t''"
complete -c crictl-which -l offline -d 'Never dial a socket: read processes, config files and defaults only'
complete -c crictl-which -l man -d 'Print the man page (roff) and exit'
complete -c crictl-which -s h -l help -d 'Print help (see more with \'--help\')'
complete -c crictl-which -s V -l version -d 'Print version'

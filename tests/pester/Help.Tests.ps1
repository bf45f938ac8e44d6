#Requires -Version 7.6
# Every cmdlet's help is complete, and every example in it runs against real sandboxes, so the help stays true.

BeforeDiscovery {
    $version = (Import-PowerShellDataFile "$PSScriptRoot/../../module/DrTools.psd1").ModuleVersion
    $manifest = $env:DRTOOLS_MODULE_MANIFEST ?? "$PSScriptRoot/../../output/DrTools/$version/DrTools.psd1"
    Import-Module $manifest -Force
    $Commands = Get-Command -Module DrTools | Sort-Object Name | ForEach-Object { @{ Name = $_.Name } }
    # Examples that only read a sandbox share one made with the same parameters by an earlier example (a sandbox with
    # monitoring takes long to build); those of the cmdlets that make and list sandboxes always make their own.
    $KubernetesCommands = 'Get-DrWorkloadStatus', 'Invoke-DrPodRecovery', 'Invoke-DrNodeDrain', 'Invoke-DrNodeLoss'
    $readOnly = 'New-DrSandbox', 'Get-DbClusterStatus', 'Test-ReplicationLag', 'Get-DbChecksum', 'Get-DrMetric', 'Test-DrAlertRule'
    $Examples = foreach ($command in $Commands) {
        $number = 0
        foreach ($example in (Get-Help $command.Name).examples.example) {
            $number++
            $used = [regex]::Matches($example.code, '\b[A-Z][a-z]+-D[rb][A-Za-z]+\b').Value | Sort-Object -Unique
            $shares = $command.Name -notin 'New-DrSandbox', 'Get-DrSandbox' -and $used -contains 'New-DrSandbox' -and
                -not ($used | Where-Object { $_ -notin $readOnly })
            $title = $example.title -replace '^-+\s*|\s*-+$'
            # The Kubernetes cmdlets' examples run against a lab's namespace drill with a Deployment web of 3 replicas.
            $kubernetes = [bool]($used | Where-Object { $_ -in $KubernetesCommands })
            @{ Command = $command.Name; Number = $number; Title = $title; Code = $example.code; Shares = $shares; Kubernetes = $kubernetes }
        }
    }
}

BeforeAll {
    $version = (Import-PowerShellDataFile "$PSScriptRoot/../../module/DrTools.psd1").ModuleVersion
    Import-Module ($env:DRTOOLS_MODULE_MANIFEST ?? "$PSScriptRoot/../../output/DrTools/$version/DrTools.psd1") -Force
    $SharedRoot = Join-Path ([IO.Path]::GetTempPath()) "drtools-example-shared-$([guid]::NewGuid().ToString('n'))"
    $SharedSandboxes = @{}
    . "$PSScriptRoot/KubeLab.ps1"
    # Started by the first example that needs it; the examples find it as kubectl would, through KUBECONFIG.
    $KubeLabFolder = Join-Path ([IO.Path]::GetTempPath()) "drtools-example-kube-$([guid]::NewGuid().ToString('n'))"
    $SharedKube = @{}
}

AfterAll {
    Remove-DrSandbox -All -Path $SharedRoot -Confirm:$false -WarningAction SilentlyContinue
    Remove-Item $SharedRoot -Recurse -Force -ErrorAction SilentlyContinue
    if ($SharedKube.Kubeconfig) { Stop-KubeLab $KubeLabFolder }
    Remove-Item $KubeLabFolder -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Help of <Name>' -ForEach $Commands {
    BeforeAll {
        $Help = Get-Help $Name -Full
    }

    It 'has a synopsis and a description' {
        $Help.Synopsis | Should -Not -BeNullOrEmpty
        $Help.Synopsis | Should -Not -BeLike "*$Name*[[]*" -Because 'a generated synopsis is the syntax line'
        ($Help.description.Text -join ' ').Length | Should -BeGreaterThan 80
    }

    It 'describes every parameter' {
        $common = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters
        $documented = $Help.parameters.parameter | Where-Object { $_.description.Text } | ForEach-Object name
        (Get-Command $Name).Parameters.Keys | Where-Object { $_ -notin $common } | Should -BeIn $documented
    }

    It 'shows -WhatIf and -Confirm in its syntax where it takes them' {
        $takes = (Get-Command $Name).Parameters.ContainsKey('WhatIf')
        $syntax = $Help.syntax | Out-String -Width 1000
        if ($takes) { $syntax | Should -Match '\[-WhatIf\] \[-Confirm\]' } else { $syntax | Should -Not -Match 'WhatIf' }
    }

    It 'gives every parameter its default value' {
        $common = [System.Management.Automation.PSCmdlet]::CommonParameters
        $missing = $Help.parameters.parameter | Where-Object { $_.name -notin $common -and -not "$($_.defaultValue)" } | ForEach-Object name
        $missing | Should -BeNullOrEmpty
    }

    It 'links the cmdlets its help names and about_DrTools' {
        $links = @($Help.relatedLinks.navigationLink.linkText)
        $links | Should -Contain 'about_DrTools'
        $links | Where-Object { $_ -ne 'about_DrTools' } | Should -BeIn (Get-Command -Module DrTools).Name
    }

    It 'names its output types and has at least two examples' {
        @($Help.returnValues.returnValue).Count | Should -BeGreaterThan 0
        @($Help.examples.example).Count | Should -BeGreaterOrEqual 2
    }
}

Describe 'Default values in the help' {
    It 'shows <Parameter> of <Command> defaulting to <Value>' -ForEach @(
        @{ Command = 'Invoke-DbFailover'; Parameter = 'Mode'; Value = 'Switchover' }
        @{ Command = 'Get-DbClusterStatus'; Parameter = 'ConnectTimeout'; Value = '10s' }
        @{ Command = 'Invoke-DbFailover'; Parameter = 'Rejoin'; Value = 'False' }
        @{ Command = 'Get-DbClusterStatus'; Parameter = 'ConnectionString'; Value = 'None' }
    ) {
        (Get-Help $Command -Parameter $Parameter).defaultValue | Should -Be $Value
        Get-Help $Command -Parameter $Parameter | Out-String | Should -Match "Default value\s+$Value"
    }
}

Describe 'about_DrTools' {
    It 'lists every cmdlet by the runbook stage it serves, and the duration forms' {
        $about = Get-Help about_DrTools | Out-String
        foreach ($stage in 'Set up', 'Check before', 'Drill', 'Verify after', 'Backups and restores', 'Run and report') { $about | Should -Match "(?m)^\s+$stage" }
        foreach ($command in Get-Command -Module DrTools) { $about | Should -Match ([regex]::Escape($command.Name)) }
        $about | Should -Match '250ms, 30s, 5m, 1h, 00:00:30'
    }
}

Describe 'Example <Number> of <Command>: <Title>' -ForEach $Examples {
    BeforeAll {
        # Each example runs in a folder of its own, with sandboxes, run folders and history there, and nothing left after.
        $Work = Join-Path ([IO.Path]::GetTempPath()) "drtools-example-$([guid]::NewGuid().ToString('n'))"
        New-Item -ItemType Directory $Work | Out-Null
        $saved = @{ DRTOOLS_SANDBOX_ROOT = $env:DRTOOLS_SANDBOX_ROOT; DRTOOLS_RUNS_ROOT = $env:DRTOOLS_RUNS_ROOT; DRTOOLS_HISTORY = $env:DRTOOLS_HISTORY }
        $env:DRTOOLS_SANDBOX_ROOT = "$Work/sandboxes"; $env:DRTOOLS_RUNS_ROOT = "$Work/runs"; $env:DRTOOLS_HISTORY = "$Work/history"
        Push-Location $Work
    }

    AfterAll {
        Pop-Location
        Remove-DrSandbox -All -Path "$Work/sandboxes" -Confirm:$false -WarningAction SilentlyContinue
        foreach ($name in $saved.Keys) { Set-Item "Env:$name" ($saved[$name] ?? '') ; if (-not $saved[$name]) { Remove-Item "Env:$name" } }
        Remove-Item $Work -Recurse -Force
    }

    It 'runs without an error' {
        if ($Kubernetes -and ($NoCluster = (Find-KubeLab).Missing)) { Set-ItResult -Skipped -Because $NoCluster; return }
        $ErrorActionPreference = 'Stop'
        $savedKubeconfig = $env:KUBECONFIG
        if ($Kubernetes) {
            if (-not $SharedKube.Kubeconfig) {
                New-Item -ItemType Directory $KubeLabFolder -Force | Out-Null
                # Six nodes: the node-loss examples delete two, and a drain still has a free node for its pod.
                $SharedKube.Kubeconfig = Start-KubeLab $KubeLabFolder -Nodes 6
                New-KubeDeployment $SharedKube.Kubeconfig drill web 3
            }
            $env:KUBECONFIG = $SharedKube.Kubeconfig
        }
        if ($Shares) {
            # Seen by the example's code: the sandbox an earlier example made with these parameters, else a new one kept.
            function New-DrSandbox {
                [CmdletBinding(SupportsShouldProcess)]
                param([int] $Standbys = 1, [switch] $Monitoring)
                $key = "$Standbys $Monitoring"
                if (-not $SharedSandboxes.ContainsKey($key)) {
                    $SharedSandboxes[$key] = DrTools\New-DrSandbox -Standbys $Standbys -Monitoring:$Monitoring -Path $SharedRoot `
                        -Confirm:$false
                }
                $SharedSandboxes[$key]
            }
        }
        try {
            $output = & ([scriptblock]::Create($Code)) | Out-String -Width 120
        }
        finally {
            $env:KUBECONFIG = $savedKubeconfig
        }
        $output | Should -Not -BeNullOrEmpty -Because 'an example shows a result'
    }
}

#Requires -Version 7.6
# Every output type has a table and a list view, and both read at 80 and 120 columns, shown with real results of a
# drill against a sandbox (every type made by the cmdlet that returns it).

BeforeDiscovery {
    $formats = [xml](Get-Content "$PSScriptRoot/../../module/DrTools.Format.ps1xml" -Raw)
    $TypeNames = $formats.Configuration.ViewDefinitions.View.ViewSelectedBy.TypeName | Sort-Object -Unique
    # The Kubernetes types come from a lab's Deployment: skipped, saying why, where no API server can be had.
    $Cases = foreach ($type in $TypeNames) {
        foreach ($width in 80, 120) {
            foreach ($view in 'Table', 'List') { @{ Type = $type; Width = $width; View = $view; Kubernetes = $type -like 'DrTools.Core.Kubernetes.*' } }
        }
    }
}

BeforeAll {
    $RepositoryRoot = (Resolve-Path "$PSScriptRoot/../..").Path
    $version = (Import-PowerShellDataFile "$RepositoryRoot/module/DrTools.psd1").ModuleVersion
    Import-Module ($env:DRTOOLS_MODULE_MANIFEST ?? "$RepositoryRoot/output/DrTools/$version/DrTools.psd1") -Force
    $Work = Join-Path ([IO.Path]::GetTempPath()) "drtools-pester-views-$([guid]::NewGuid().ToString('n'))"
    $saved = @{ DRTOOLS_SANDBOX_ROOT = $env:DRTOOLS_SANDBOX_ROOT; DRTOOLS_RUNS_ROOT = $env:DRTOOLS_RUNS_ROOT; DRTOOLS_HISTORY = $env:DRTOOLS_HISTORY }
    $env:DRTOOLS_SANDBOX_ROOT = "$Work/sandboxes"; $env:DRTOOLS_RUNS_ROOT = "$Work/runs"; $env:DRTOOLS_HISTORY = "$Work/history"

    # One of each output type, from the cmdlet that returns it; a script run records the drill.
    $Objects = @{}
    function Add-Example { param([Parameter(ValueFromPipeline)] $Item) process { if ($null -ne $Item) { $Objects[$Item.GetType().FullName] ??= $Item }; $Item } }
    # Synchronous: RPO 0 is then what the cluster guarantees; an asynchronous one may lose the last writes to a SIGKILL.
    $sandbox = New-DrSandbox -Standbys 1 -Synchronous -Monitoring -Confirm:$false | Add-Example
    $run = Start-DrRun 'Views drill' -Rto 2m -Rpo 0s -Target @{ db = $sandbox } | Add-Example
    try {
        $repository = Join-Path $run.Directory 'repository'
        Invoke-DrStep $run 'Cluster healthy' -PreCheck { $sandbox | Get-DbClusterStatus } | Add-Example | ForEach-Object { $_.Members } | Add-Example | Out-Null
        Invoke-DrStep $run 'Lag' -PreCheck { $sandbox | Test-ReplicationLag -MaxLagBytes 16MB } | Add-Example | Out-Null
        Invoke-DrStep $run 'Data' { $sandbox | Invoke-DbQuery -Query 'create table orders as select g as id from generate_series(1, 100) g; select count(*) from orders' -Confirm:$false } | Add-Example | Out-Null
        Invoke-DrStep $run 'Archive' { $sandbox | Enable-DbWalArchive -Repository $repository -Confirm:$false } | Add-Example | Out-Null
        Invoke-DrStep $run 'Backup' { $sandbox | New-DbBackup -Repository $repository -Confirm:$false } | Add-Example | Out-Null
        Invoke-DrStep $run 'Restore point' { $sandbox | New-DbRestorePoint -Repository $repository -Name views -Confirm:$false } | Add-Example | Out-Null
        Get-DbBackup $repository -RecoverableWindow | Add-Example | Out-Null
        Invoke-DrStep $run 'Verify' { Test-DbBackup $repository } | Add-Example | Out-Null
        Invoke-DrStep $run 'Restore' { Restore-PointInTime $repository -RestorePoint views -RemoveInstance -Confirm:$false } | Add-Example | Out-Null
        Invoke-DrStep $run 'Policy' { Test-DbBackupPolicy -Repository $repository -KeepDaily 1 } | Add-Example | ForEach-Object { $_.Retention } | Add-Example | Out-Null
        $before = Invoke-DrStep $run 'Checksum' { $sandbox | Get-DbChecksum } | Add-Example
        Invoke-DrStep $run 'Fail over' -Objective rto, rpo { $sandbox | Invoke-DbFailover -Mode Failover -Rejoin -Confirm:$false } | Add-Example | ForEach-Object { $_.WriteUnavailability } | Add-Example | Out-Null
        Invoke-DrStep $run 'Compare' { $sandbox | Compare-DbChecksum -Reference $before } | Add-Example | Out-Null
        Invoke-DrStep $run 'Freeze' { $sandbox | Start-DrFault -Kind Freeze -Member node1 -Confirm:$false } | Add-Example | Out-Null
        Invoke-DrStep $run 'Thaw' { Get-DrFault | Stop-DrFault -Confirm:$false } | Add-Example | Out-Null
        Invoke-DrStep $run 'No fault left' { $sandbox | Test-DrFault } | Add-Example | Out-Null
        Get-DrSandbox | Add-Example | Out-Null
        $sandbox | Get-DrMetric -Repository $repository | Add-Example | Out-Null
        $sandbox | Test-DrAlertRule | Add-Example | Out-Null
        Invoke-DrStep $run 'No alert' { $sandbox | Wait-DrAlert InstanceDown -State Resolved -Within 30s } | Add-Example | Out-Null
    }
    finally {
        $journal = $run | Complete-DrRun | Add-Example
    }
    $journal.Steps | Add-Example | Out-Null
    $journal.Objectives | Add-Example | Out-Null
    Get-DrDrillHistory | Add-Example | Out-Null

    . "$PSScriptRoot/KubeLab.ps1"
    $NoCluster = (Find-KubeLab).Missing
    if (-not $NoCluster) {
        New-Item -ItemType Directory "$Work/kube" -Force | Out-Null
        $kubeconfig = Start-KubeLab "$Work/kube"
        try {
            New-KubeDeployment $kubeconfig views-drill web 3
            Get-DrWorkloadStatus views-drill -Deployment web -Kubeconfig $kubeconfig | Add-Example | Out-Null
            Invoke-DrPodRecovery views-drill -Deployment web -Kubeconfig $kubeconfig -AllowDrillOn views-drill -Count 1 -Rto 60s -Confirm:$false |
                Add-Example | Out-Null
            Invoke-DrNodeDrain views-drill -Deployment web -Kubeconfig $kubeconfig -AllowDrillOn views-drill -Rto 2m -Confirm:$false |
                Add-Example | Out-Null
            # The node-loss fault command's kubectl finds the lab as the drill does.
            $savedKubeconfig = $env:KUBECONFIG
            $env:KUBECONFIG = $kubeconfig
            Invoke-DrNodeLoss views-drill -Deployment web -Kubeconfig $kubeconfig -AllowDrillOn views-drill -Rto 3m -Confirm:$false `
                -FaultCommand 'kubectl delete node "$DRTOOLS_NODE"' | Add-Example | Out-Null
        }
        finally {
            $env:KUBECONFIG = $savedKubeconfig
            Stop-KubeLab "$Work/kube"
        }
    }
}

AfterAll {
    Remove-DrSandbox -All -Path "$Work/sandboxes" -Confirm:$false -WarningAction SilentlyContinue
    foreach ($name in $saved.Keys) { if ($saved[$name]) { Set-Item "Env:$name" $saved[$name] } else { Remove-Item "Env:$name" -ErrorAction SilentlyContinue } }
    Remove-Item $Work -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Format views' {
    It 'the drill ran green, so every view below shows a real result' {
        $journal.Status | Should -Be 'Passed' -Because ($journal.Issues -join '; ')
    }

    It '<Type>: the <View> view reads at <Width> columns' -ForEach $Cases {
        if ($Kubernetes -and $NoCluster) { Set-ItResult -Skipped -Because $NoCluster; return }
        $formats = [xml](Get-Content "$RepositoryRoot/module/DrTools.Format.ps1xml" -Raw)
        $definition = $formats.Configuration.ViewDefinitions.View | Where-Object { $_.ViewSelectedBy.TypeName -eq $Type -and $_."${View}Control" }
        $definition | Should -Not -BeNullOrEmpty -Because "$Type needs a $View view"
        $item = $Objects[$Type]
        $item | Should -Not -BeNullOrEmpty -Because "the drill must have produced a $Type"

        $render = {
            param($at)
            if ($View -eq 'Table') { $item | Format-Table -View $definition.Name | Out-String -Width $at }
            else { $item | Format-List -View $definition.Name | Out-String -Width $at }
        }
        $text = & $render $Width
        $lines = $text -split "`r?`n" | Where-Object { $_.Trim() }
        $lines | ForEach-Object { $_.Length | Should -BeLessOrEqual $Width -Because "'$_' must fit" }
        # No word, address or figure is split across lines (a list wraps its values wherever the width ends): no token of
        # the view without a width limit is found cut in two, its head ending one line and its tail on another. Where a
        # line ends depends on the lengths of what it holds (ports, ids), so the next few widths are tried too.
        $wide = & $render 1000
        foreach ($at in $Width..($Width + 7)) {
            $shown = & $render $at
            $narrow = @($shown -split '\s+' | Where-Object { $_ })
            # (A path longer than a line has to break somewhere; a rule of dashes under a header is no word.)
            $tokens = $wide -split '\s+' | Where-Object { $_ -and $_.Length -le 40 -and $_ -notmatch '^-+$' -and $_ -notin $narrow }
            $split = foreach ($token in $tokens | Select-Object -Unique) {
                for ($cut = 1; $cut -lt $token.Length; $cut++) {
                    $head, $tail = $token.Substring(0, $cut), $token.Substring($cut)
                    if ($head -cin $narrow -and $tail -cin $narrow) { "$head / $tail"; break }
                }
            }
            $split | Should -BeNullOrEmpty -Because "at $at columns these are split across lines: $($split -join ' | ')`n$shown"
        }
        if ($View -eq 'Table') {
            $labels = $definition.TableControl.TableHeaders.TableColumnHeader.Label
            # Every column is shown (none dropped for want of room), and its header readable to the first word.
            foreach ($label in $labels) {
                $word = ($label -split '[ (]')[0]
                $lines[0] | Should -Match ([regex]::Escape($word.Substring(0, [Math]::Min(4, $word.Length)))) -Because "column $label at $Width columns: $($lines[0])"
            }
        }
        else {
            $labels = $definition.ListControl.ListEntries.ListEntry.ListItems.ListItem | ForEach-Object { $_.Label ?? $_.PropertyName }
            foreach ($label in $labels) { $text | Should -Match "(?m)^$([regex]::Escape($label))\s*:" -Because "item $label" }
        }
    }
}

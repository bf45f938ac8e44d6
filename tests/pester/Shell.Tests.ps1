#Requires -Version 7.6
# The module as a newcomer meets it in the shell: what Get-DrSandbox lists pipes into every cmdlet that takes a
# target, tab completion works in the pipeline form the help shows, and figures are shown with their units.

BeforeDiscovery {
    $Views = @{ View = 'Table' }, @{ View = 'List' }
    # Each cmdlet that takes a sandbox from the pipeline, with arguments that make it quick and change nothing.
    $BindCases = @(
        @{ Name = 'Get-DbClusterStatus'; Arguments = @{}; Check = { param($out) $out.Healthy | Should -BeTrue } }
        @{ Name = 'Test-ReplicationLag'; Arguments = @{ MaxLagBytes = 100MB; Quiet = $true }
            Check = { param($out) $out | Should -BeExactly $true } }
        @{ Name = 'Invoke-DbFailover'; Arguments = @{ WhatIf = $true } }
        @{ Name = 'Get-DbChecksum'; Arguments = @{}; Check = { param($out) "$($out.Member)" | Should -Match 'node0' } }
        @{ Name = 'Compare-DbChecksum'; Arguments = @{ Reference = 'Reference' }
            Check = { param($out) "$($out.Current.Member)" | Should -Match 'node0' } }
        @{ Name = 'Invoke-DbQuery'; Arguments = @{ Query = 'select 1'; WhatIf = $true } }
        @{ Name = 'Enable-DbWalArchive'; Arguments = @{ Repository = 'Repository'; WhatIf = $true } }
        @{ Name = 'New-DbBackup'; Arguments = @{ Repository = 'Repository'; WhatIf = $true } }
        @{ Name = 'New-DbRestorePoint'; Arguments = @{ Repository = 'Repository'; Name = 'x'; WhatIf = $true } }
        @{ Name = 'Test-DbBackupPolicy'; Arguments = @{ Repository = 'Repository' } }
        @{ Name = 'Get-DrMetric'; Arguments = @{ NoHistory = $true }; Check = { param($out) $out | Should -Not -BeNullOrEmpty } }
        @{ Name = 'Start-DrFault'; Arguments = @{ Kind = 'Freeze'; Member = 'node1'; WhatIf = $true } }
        @{ Name = 'Test-DrFault'; Arguments = @{}; Check = { param($out) $out | Should -Not -BeNullOrEmpty } }
        @{ Name = 'Test-DrAlertRule'; Arguments = @{} }
        @{ Name = 'Wait-DrAlert'; Arguments = @{ Name = 'InstanceDown'; Within = 1 } }
        @{ Name = 'Remove-DrSandbox'; Arguments = @{ WhatIf = $true } }
    )
}

BeforeAll {
    $RepositoryRoot = (Resolve-Path "$PSScriptRoot/../..").Path
    $version = (Import-PowerShellDataFile "$RepositoryRoot/module/DrTools.psd1").ModuleVersion
    Import-Module ($env:DRTOOLS_MODULE_MANIFEST ?? "$RepositoryRoot/output/DrTools/$version/DrTools.psd1") -Force
    $Work = Join-Path ([IO.Path]::GetTempPath()) "drtools-pester-shell-$([guid]::NewGuid().ToString('n'))"
    $SandboxRoot = "$Work/sandboxes"
    $saved = @{ DRTOOLS_RUNS_ROOT = $env:DRTOOLS_RUNS_ROOT; DRTOOLS_HISTORY = $env:DRTOOLS_HISTORY }
    $env:DRTOOLS_RUNS_ROOT = "$Work/runs"; $env:DRTOOLS_HISTORY = "$Work/history"
    $Sandbox = New-DrSandbox -Standbys 1 -Path $SandboxRoot -Confirm:$false
    $Listed = Get-DrSandbox -Path $SandboxRoot | Where-Object Id -EQ $Sandbox.Id
    $Special = @{ Reference = { $Sandbox | Get-DbChecksum }; Repository = { "$Work/repository" } }
    # What the default table or list view of DrTools objects shows at a width.
    function Out-View([Parameter(ValueFromPipeline)] $Item, [string] $View, [int] $Width = 120) {
        end {
            if ($View -eq 'Table') { $input | Format-Table | Out-String -Width $Width } else { $input | Format-List | Out-String -Width $Width }
        }
    }
}

AfterAll {
    if (Test-Path $SandboxRoot) { Remove-DrSandbox -All -Path $SandboxRoot -Confirm:$false -WarningAction SilentlyContinue }
    foreach ($name in $saved.Keys) {
        if ($saved[$name]) { Set-Item "Env:$name" $saved[$name] } else { Remove-Item "Env:$name" -ErrorAction SilentlyContinue }
    }
    Remove-Item $Work -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Pipeline binding from Get-DrSandbox' {
    It 'lists the sandbox as a listing row, not an opened sandbox (what the cases below pipe)' {
        $Listed.GetType().Name | Should -Be 'SandboxInfo'
    }

    It 'covers every cmdlet that takes a sandbox from the pipeline' -ForEach @{ Covered = $BindCases.Name } {
        $takers = Get-Command -Module DrTools |
            Where-Object { $_.Parameters['Sandbox'].ParameterSets.Values.ValueFromPipeline -contains $true }
        ($takers.Name | Sort-Object) | Should -Be ($Covered | Sort-Object)
    }

    It '<Name> binds what Get-DrSandbox lists' -ForEach $BindCases {
        $splat = @{ ErrorAction = 'SilentlyContinue'; WarningAction = 'SilentlyContinue' }
        foreach ($key in $Arguments.Keys) { $splat[$key] = $Special[$Arguments[$key]] ? (& $Special[$Arguments[$key]]) : $Arguments[$key] }
        if ($splat.WhatIf) { $splat.Confirm = $false }
        # A pipeline object that does not bind is a non-terminating error; an operation's own may be either.
        $out = try { $Listed | & $Name @splat -ErrorVariable errors } catch { $errors = @($_) }
        $binding = $errors | Where-Object { $_.Exception -is [System.Management.Automation.ParameterBindingException] }
        $binding | Should -BeNullOrEmpty -Because "$binding"
        if ($Check) { & $Check $out }
    }

    It 'refuses a listed folder that is not a cluster sandbox in one line naming it' {
        $foreign = New-Item -ItemType Directory "$SandboxRoot/not-mine"
        $row = Get-DrSandbox -Path $SandboxRoot | Where-Object Id -EQ 'not-mine'
        { $row | Get-DbClusterStatus -ErrorAction Stop } | Should -Throw -ExpectedMessage '*not-mine is not a DrTools sandbox*'
        Remove-Item $foreign
    }
}

Describe 'Figures with their units' {
    BeforeAll {
        # DrTools.Core lives in the module's own AssemblyLoadContext, where type literals do not reach.
        $core = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq 'DrTools.Core' }
        $measurement = $core.GetType('DrTools.Core.Measurement')
        function New-Figure($Name, [double] $Measured, $Unit, [Nullable[double]] $Target) {
            [Activator]::CreateInstance($measurement, [object[]]@($Name, $Measured, $Unit, $Target, 'how'))
        }
        $Rto = New-Figure 'write unavailability (RTO)' 0.6129571 's' 30
        $Lag = New-Figure 'lag' 1234567 'bytes' 1048576
    }

    It 'a figure in seconds reads to the millisecond, its target in seconds, in the <View> view' -ForEach $Views {
        $text = $Rto | Out-View -View $View
        $text | Should -Match '0\.613 s'
        $text | Should -Match '≤ 30 s'
        $text | Should -Not -Match '0\.6129571'
    }

    It 'a size reads in MB with the exact count, its target in its unit, in the <View> view' -ForEach $Views {
        $text = $Lag | Out-View -View $View
        $text | Should -Match '1\.18 MB \(1234567 bytes\)'
        $text | Should -Match '≤ 1 MB'
    }

    It 'ToString writes the target in the figure''s unit' {
        "$Rto" | Should -Be '0.613 s (≤ 30 s: met)'
        (New-Figure 'lag' 0 'bytes' 1048576).ToString() | Should -Be '0 bytes (≤ 1 MB: met)'
    }

    It 'Should -MeetObjective writes the figure and the target with their units' {
        $missed = New-Figure 'write unavailability (RTO)' 0.5487924 's' 0.5
        $failure = { $missed | Should -MeetObjective } | Should -Throw -PassThru
        $failure.Exception.Message | Should -BeLike '*measured 0.549 s against a target of ≤ 0.5 s (how)*'
        $failure = { $Lag | Should -MeetObjective } | Should -Throw -PassThru
        $failure.Exception.Message | Should -BeLike '*measured 1.18 MB (1234567 bytes) against a target of ≤ 1 MB*'
    }

    It 'a lag result from a sandbox shows its figures with units in its table and list views' {
        $lag = $Sandbox | Test-ReplicationLag -MaxLagBytes 1MB
        $table = $lag | Out-String -Width 120
        $table | Should -Match '\d (bytes|kB|MB)\s'
        $table | Should -Match '\d s\b'
        $lag | Format-List | Out-String -Width 120 | Should -Match '\d (bytes|kB|MB) \(≤ 1 MB: met\)'
    }
}

Describe 'Sampled lag' {
    BeforeAll {
        $Sampled = $Sandbox | Test-ReplicationLag -Duration 2s -Interval 250ms -MaxLagBytes 16MB
    }

    It 'took several samples (what the views below show)' {
        $Sampled.LagBytes.Samples | Should -BeGreaterOrEqual 6
    }

    It 'shows the maximum, the p95 and the sample count in the table' {
        $lines = ($Sampled | Format-Table | Out-String -Width 120) -split "`n" | Where-Object { $_.Trim() }
        $lines[0] | Should -Match 'Lag \(max\)\s+Lag p95.*Samples'
        $lines[2] | Should -Match "\d (bytes|kB|MB)\s+\d+(\.\d+)? (bytes|kB|MB)\s.*\s$($Sampled.LagBytes.Samples) "
    }

    It 'shows each figure''s maximum, target, p95 and sample count in the list' {
        $text = $Sampled | Format-List | Out-String -Width 120
        $samples = "max of $($Sampled.LagBytes.Samples) samples"
        $text | Should -Match "(?m)^Lag\s*: \d+(\.\d+)? (bytes|kB|MB).*\(≤ 16 MB: met\)\s+$samples, p95 \d"
        $text | Should -Match "(?m)^ReplayLag\s*: \d+(\.\d+)? s\s+$samples, p95 \d+(\.\d+)? s"
    }
}

Describe 'A run''s objectives in the shell' {
    BeforeAll {
        $run = Start-DrRun 'Objectives drill' -Rto 60s
        Invoke-DrStep $run 'Status' -Objective rto { $Sandbox | Get-DbClusterStatus } | Out-Null
        $Journal = $run | Complete-DrRun
        $Rto = $Journal.Objectives | Where-Object Name -EQ 'rto'
    }

    It 'measured the RTO (what the views below show)' {
        $Rto.Measurement.Measured | Should -BeGreaterThan 0
    }

    It 'shows each objective''s target and figure with units in the <View> view' -ForEach $Views {
        $text = $Journal.Objectives | Out-View -View $View
        $text | Should -Match '≤ 60 s'
        $text | Should -Match ([regex]::Escape($Rto.Measurement.MeasuredText))
        $Rto.Measurement.MeasuredText | Should -Match '^\d+(\.\d{1,3})? s$'
    }

    It 'says in the run''s <View> view whether the RTO was met, with the RTO and its target' -ForEach $Views {
        $text = $Journal | Out-View -View $View
        $text | Should -Match "met: $([regex]::Escape($Rto.Measurement.MeasuredText)) ≤ 60 s"
    }
}

Describe 'Tab completion in the pipeline form the help shows' {
    It 'completes <Line> from a sandbox <Form> in a variable' -ForEach @(
        @{ Line = '$sb | Invoke-DbFailover -Candidate '; Form = 'opened' }
        @{ Line = '$sb | Invoke-DbFailover -Candidate '; Form = 'listed' }
        @{ Line = '$sb | Start-DrFault -Kind Freeze -Member '; Form = 'opened' }
        @{ Line = '$sb | Invoke-DbQuery -Query "select 1" -Member n'; Form = 'listed' }
    ) {
        $sb = if ($Form -eq 'opened') { $Sandbox } else { $Listed }
        (TabExpansion2 -inputScript $Line -cursorColumn $Line.Length).CompletionMatches.CompletionText | Should -Be 'node0', 'node1'
    }

    It 'offers nothing, and runs nothing, for a command piped in' {
        $line = 'Get-DrSandbox -Path ''/nonexistent'' | Invoke-DbFailover -Candidate '
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches | Should -BeNullOrEmpty
    }
}

Describe 'One name and one type for one idea' {
    It 'takes every recovery objective as -Rto / -Rpo durations, and the old -RtoSeconds / -RpoSeconds as aliases' {
        $objectives = Get-Command -Module DrTools | ForEach-Object { $_.Parameters.Values } |
            Where-Object Name -In 'Rto', 'Rpo', 'RtoSeconds', 'RpoSeconds'
        ($objectives | Where-Object Name -Like '*Seconds') | Should -BeNullOrEmpty
        $objectives | ForEach-Object { $_.ParameterType | Should -Be ([Nullable[TimeSpan]]) -Because $_.Name }
        (Get-Command Invoke-DbFailover).Parameters['Rto'].Aliases | Should -Be 'RtoSeconds'
        (Get-Command Invoke-DbFailover).Parameters['Rpo'].Aliases | Should -Be 'RpoSeconds'
        (Get-Command Test-DbBackup).Parameters['Rto'].Aliases | Should -Be 'RtoSeconds'
    }

    It 'reads -Rto 30s and -RtoSeconds 30 as the same objective' {
        $failover = Get-Command Invoke-DbFailover
        $transform = $failover.Parameters['Rto'].Attributes | Where-Object { $_ -is [System.Management.Automation.ArgumentTransformationAttribute] }
        $transform.Transform($ExecutionContext, '30s') | Should -Be ([TimeSpan]::FromSeconds(30))
        $transform.Transform($ExecutionContext, 30) | Should -Be ([TimeSpan]::FromSeconds(30))
    }
}

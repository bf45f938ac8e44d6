#Requires -Version 7.6
# Drills written as PowerShell scripts (Start-DrRun, Invoke-DrStep, Register-DrCleanup, Complete-DrRun) against the
# packaged module and real sandboxes: the same journal and reports as YAML runbooks, and nothing left behind.

BeforeAll {
    $RepositoryRoot = (Resolve-Path "$PSScriptRoot/../..").Path
    $version = (Import-PowerShellDataFile "$RepositoryRoot/module/DrTools.psd1").ModuleVersion
    $ModuleManifest = $env:DRTOOLS_MODULE_MANIFEST ?? "$RepositoryRoot/output/DrTools/$version/DrTools.psd1"
    Import-Module $ModuleManifest -Force
    # Sandboxes, run folders and the history of these tests in a folder of their own, checked empty afterwards.
    $Work = Join-Path ([IO.Path]::GetTempPath()) "drtools-pester-scripts-$([guid]::NewGuid().ToString('n'))"
    $saved = @{ DRTOOLS_SANDBOX_ROOT = $env:DRTOOLS_SANDBOX_ROOT; DRTOOLS_RUNS_ROOT = $env:DRTOOLS_RUNS_ROOT; DRTOOLS_HISTORY = $env:DRTOOLS_HISTORY }
    $env:DRTOOLS_SANDBOX_ROOT = "$Work/sandboxes"; $env:DRTOOLS_RUNS_ROOT = "$Work/runs"; $env:DRTOOLS_HISTORY = "$Work/history"

    function Assert-NothingLeft {
        @(Get-ChildItem "$Work/sandboxes" -Force -ErrorAction SilentlyContinue).Name | Should -BeNullOrEmpty -Because 'every sandbox a run owns is removed'
        @(Get-ChildItem "$Work/runs" -Force -ErrorAction SilentlyContinue).Name | Should -BeNullOrEmpty -Because 'every scratch folder is removed'
    }

    # A report's shape without its figures: every heading, and the first column of every table row.
    function Get-ReportShape([string] $Markdown) {
        $Markdown -split "`n" | Where-Object { $_ -match '^(#+ |\| )' } | ForEach-Object { if ($_ -match '^#') { $_ } else { ($_ -split '\|')[1].Trim() } } |
            Where-Object { $_ -notmatch '^(-+|\+[\d.]+ s)$' }
    }
}

AfterAll {
    Remove-DrSandbox -All -Path "$Work/sandboxes" -Confirm:$false -WarningAction SilentlyContinue
    foreach ($name in $saved.Keys) { if ($saved[$name]) { Set-Item "Env:$name" $saved[$name] } else { Remove-Item "Env:$name" -ErrorAction SilentlyContinue } }
    Remove-Item $Work -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'The shipped point-in-time recovery drill as a script' {
    BeforeAll {
        $Script = & "$RepositoryRoot/runbooks/postgres-pitr.ps1" -HistoryPath "$Work/history"
        $Yaml = Invoke-DrRunbook -Path "$RepositoryRoot/runbooks/postgres-pitr.yml" -HistoryPath "$Work/history" -Confirm:$false
    }

    It 'runs green: all 1000 rows restored, no marker, RTO and RPO measured and met' {
        $Script.Status | Should -Be 'Passed' -Because ($Script.Issues -join '; ')
        $Script.Steps.Status | Should -Not -Contain 'Failed'
        ($Script.Steps | Where-Object Name -EQ 'Restore to the restore point').Summary | Should -BeLike 'restored to name before-markers-*: PASS*'
        $Script.Objectives | ForEach-Object { $_.Met | Should -BeTrue -Because "$($_.Name): $($_.Measurement)" }
        Assert-NothingLeft
    }

    It 'has the YAML runbook''s steps, operations, objectives and figures' {
        $Script.Runbook | Should -Be $Yaml.Runbook
        $Script.TestType | Should -Be $Yaml.TestType
        ($Script.Steps | ForEach-Object { "$($_.Label) ($($_.Operation)): $($_.Status)" }) | Should -Be ($Yaml.Steps | ForEach-Object { "$($_.Label) ($($_.Operation)): $($_.Status)" })
        ($Script.Steps | ForEach-Object { ($_.Measurements.Name -join ',') }) | Should -Be ($Yaml.Steps | ForEach-Object { ($_.Measurements.Name -join ',') })
        ($Script.Objectives | ForEach-Object { "$($_.Name) $($_.Target) $($_.Measurement.Name)" }) | Should -Be ($Yaml.Objectives | ForEach-Object { "$($_.Name) $($_.Target) $($_.Measurement.Name)" })
    }

    It 'writes reports of the same structure to the drill history' {
        foreach ($file in 'journal.json', 'report.md', 'report.html', 'junit.xml', 'nunit.xml') { Join-Path $Script.Folder $file | Should -Exist }
        $scriptShape = Get-ReportShape (Get-Content (Join-Path $Script.Folder 'report.md') -Raw)
        $yamlShape = Get-ReportShape (Get-Content (Join-Path $Yaml.Folder 'report.md') -Raw)
        $scriptShape | Should -Be $yamlShape
        ([xml](Get-Content (Join-Path $Script.Folder 'junit.xml') -Raw)).testsuites.testsuite.testcase.name | Should -Be ([xml](Get-Content (Join-Path $Yaml.Folder 'junit.xml') -Raw)).testsuites.testsuite.testcase.name
        $Script.Source | Should -Be (Resolve-Path "$RepositoryRoot/runbooks/postgres-pitr.ps1").Path
    }

    It 'is counted in the drill history beside the YAML run' {
        (Get-DrDrillHistory -HistoryPath "$Work/history" | Where-Object Drill -EQ 'PostgreSQL point-in-time recovery drill').Runs | Should -Be 2
    }
}

Describe 'A drill script' {
    BeforeAll {
        $Marks = Join-Path $Work 'marks'
        New-Item -ItemType Directory $Marks -Force | Out-Null
    }

    It 'runs no step after a failed pre-check, records it skipped, and still cleans up' {
        $run = Start-DrRun 'Gated drill'
        try {
            Register-DrCleanup $run 'Mark cleanup' { Set-Content "$Marks/gated-cleanup" 'ran' }
            Invoke-DrStep $run 'Healthy' -PreCheck { $false } -ErrorAction SilentlyContinue -ErrorVariable failed | Out-Null
            Invoke-DrStep $run 'Destructive step' { Set-Content "$Marks/gated-step" 'ran' } -WarningAction SilentlyContinue -WarningVariable skipped | Out-Null
        }
        finally {
            $journal = $run | Complete-DrRun
        }
        $failed[0].Exception.Message | Should -Be 'pre-check 1: Healthy failed: false (the step''s check did not hold)'
        $skipped[0].Message | Should -Be 'step 1: Destructive step: not run: pre-check 1: Healthy failed, so nothing was changed'
        "$Marks/gated-step" | Should -Not -Exist
        "$Marks/gated-cleanup" | Should -Exist
        $journal.Status | Should -Be 'Failed'
        ($journal.Steps | ForEach-Object { "$($_.Label): $($_.Status)" }) | Should -Be 'pre-check 1: Healthy: Failed', 'step 1: Destructive step: Skipped', 'cleanup 1: Mark cleanup: Passed'
    }

    It 'stops a step at its timeout: the block itself, not only the wait for it' {
        $run = Start-DrRun 'Timeout drill'
        $clock = [Diagnostics.Stopwatch]::StartNew()
        try {
            Invoke-DrStep $run 'Hangs' -Timeout 500ms { Start-Sleep -Seconds 3; Set-Content "$Marks/timeout-step" 'finished' } -ErrorAction SilentlyContinue | Out-Null
        }
        finally {
            $journal = $run | Complete-DrRun
        }
        $clock.Elapsed.TotalSeconds | Should -BeLessThan 2.5
        Start-Sleep -Seconds 3
        "$Marks/timeout-step" | Should -Not -Exist -Because 'the block was stopped'
        $journal.Steps[0].Status | Should -Be 'TimedOut'
        $journal.Steps[0].Message | Should -Be 'timed out after 500ms'
    }

    It 'fails a step on an error with its message and line, and goes on past it with -ContinueOnError' {
        $run = Start-DrRun 'Errors drill'
        try {
            Invoke-DrStep $run 'Throws' -ContinueOnError { Get-Item '/no/such/path' } -WarningAction SilentlyContinue | Out-Null
            Invoke-DrStep $run 'Runs anyway' { 42 } | Should -Be 42
        }
        finally {
            $journal = $run | Complete-DrRun
        }
        $journal.Steps[0].Status | Should -Be 'Failed'
        $journal.Steps[0].Message | Should -BeLike "Cannot find path '/no/such/path' because it does not exist. (line *)"
        $journal.Steps[1].Status | Should -Be 'Passed'
        $journal.Status | Should -Be 'Passed' -Because 'as in a runbook, a step with continueOnError does not fail the run'
        $journal.Issues[0] | Should -BeLike 'step 1: Throws (script) failed: Cannot find path*(continueOnError: the run went on)'
    }

    It 'counts a step''s duration toward the RTO when it measures no recovery figure of its own' {
        $run = Start-DrRun 'Duration drill' -Rto 1m
        try { Invoke-DrStep $run 'Recover' -Objective rto { Start-Sleep -Milliseconds 300 } | Out-Null } finally { $journal = $run | Complete-DrRun }
        $rto = $journal.Objectives | Where-Object Name -EQ 'rto'
        $rto.Measurement.Measured | Should -BeGreaterOrEqual 0.3
        $rto.Measurement.Measured | Should -Be $journal.Steps[0].Duration.TotalSeconds
        $rto.Measurement.Method | Should -BeLike "sum of: 'Recover' duration of 'Recover' = * s (step start to end on the run's monotonic clock)"
        $journal.Status | Should -Be 'Passed'
    }

    It 'owns a sandbox a step returns: removed when the run completes, and said so' {
        $run = Start-DrRun 'Sandbox drill'
        try {
            $sandbox = Invoke-DrStep $run 'Create sandbox' { New-DrSandbox -Standbys 0 -Confirm:$false }
            Test-Path $sandbox.Directory | Should -BeTrue
        }
        finally {
            $journal = $run | Complete-DrRun
        }
        Test-Path $sandbox.Directory | Should -BeFalse
        $journal.CleanupActions | Should -Contain "removed sandbox $($sandbox.Id), which the run created and its cleanup did not remove"
        $journal.Steps[0].Operation | Should -Be 'New-DrSandbox'
        Assert-NothingLeft
    }

    It 'pipes: Start-DrRun | Complete-DrRun | Export-DrReport' {
        $nunit = [xml](Start-DrRun 'Empty drill' | Complete-DrRun | Export-DrReport -Format NUnit)
        $nunit.'test-results'.failures | Should -Be '0'
        $nunit.'test-results'.'test-suite'.name | Should -Be 'Empty drill'
    }

    It 'completes once: again returns the same journal, and a completed run takes no step' {
        $run = Start-DrRun 'Once'
        $first = $run | Complete-DrRun
        ($run | Complete-DrRun).Id | Should -Be $first.Id
        { Invoke-DrStep $run 'Late' { 1 } -ErrorAction Stop } | Should -Throw -ExpectedMessage "run 'Once' ($($first.Id)) is complete: start a new run for more steps."
    }
}

Describe 'Drill scripts refuse bad input in one line, changing nothing' {
    It 'refuses a target that is neither a sandbox nor connection strings' {
        { Start-DrRun 'Bad target' -Target @{ db = 42 } -ErrorAction Stop } | Should -Throw -ExpectedMessage "target 'db': give a sandbox (New-DrSandbox) or connection strings, not a Int32."
    }

    It 'refuses an objective the run does not set, before the step runs' {
        $run = Start-DrRun 'No rpo' -Rto 1m
        try {
            { Invoke-DrStep $run 'Restore' -Objective rpo { 'ran' } -ErrorAction Stop } | Should -Throw -ExpectedMessage "step 'Restore': objective 'rpo' is not among the run's objectives (rto)."
            $run.Steps | Should -BeNullOrEmpty
        }
        finally { $run | Complete-DrRun | Out-Null }
    }

    It 'refuses a pre-check after a step' {
        $run = Start-DrRun 'Order'
        try {
            Invoke-DrStep $run 'Change something' { 'changed' } | Out-Null
            { Invoke-DrStep $run 'Too late' -PreCheck { $true } -ErrorAction Stop } | Should -Throw -ExpectedMessage "pre-check 'Too late' comes after a step: *"
        }
        finally { $run | Complete-DrRun | Out-Null }
    }

    It 'refuses an objective duration it cannot read, naming it' {
        { Start-DrRun 'Bad rto' -Rto '2 hours' -ErrorAction Stop } | Should -Throw -ExpectedMessage "*'2 hours' is not a duration*"
    }
}

Describe 'Ctrl+C (Stop on a runspace) during a drill script' {
    It 'cancels the step and the run, runs the cleanup in finally, and leaves nothing' {
        $mark = Join-Path $Work "stopped-cleanup-$([guid]::NewGuid().ToString('n'))"
        $ps = [powershell]::Create()
        $null = $ps.AddScript(@"
Import-Module '$ModuleManifest'
`$sandbox = New-DrSandbox -Standbys 0 -Confirm:`$false
`$run = Start-DrRun 'Stopped drill' -Target @{ db = `$sandbox }
try {
    Register-DrCleanup `$run 'Mark cleanup' { Set-Content '$mark' 'ran' }
    Invoke-DrStep `$run 'Long query' { `$sandbox | Invoke-DbQuery -Query 'select pg_sleep(120)' -Confirm:`$false } -Verbose
}
finally {
    `$global:journal = `$run | Complete-DrRun
}
"@)
        $handle = $ps.BeginInvoke()
        $deadline = [DateTime]::UtcNow.AddSeconds(60)
        $started = { Get-ChildItem "$Work/history/*/journal.json" -ErrorAction SilentlyContinue | Where-Object { (Get-Content $_ -Raw) -match '"name": "Long query",\s+"operation": "Invoke-DbQuery",\s+"status": "running"' } }
        while (-not (& $started) -and [DateTime]::UtcNow -lt $deadline -and -not $handle.IsCompleted) { Start-Sleep -Milliseconds 50 }
        & $started | Should -Not -BeNullOrEmpty -Because "the step must have started ($($ps.InvocationStateInfo.State) $($ps.InvocationStateInfo.Reason))"
        Start-Sleep -Milliseconds 300
        $clock = [Diagnostics.Stopwatch]::StartNew()
        $ps.Stop()
        $clock.Elapsed.TotalSeconds | Should -BeLessThan 30
        $journal = $ps.Runspace.SessionStateProxy.GetVariable('journal')
        $ps.Dispose()
        $journal.Status | Should -Be 'Cancelled'
        ($journal.Steps | ForEach-Object { "$($_.Label): $($_.Status)" }) | Should -Be 'step 1: Long query: Cancelled', 'cleanup 1: Mark cleanup: Passed'
        $mark | Should -Exist
        Assert-NothingLeft
    }
}

Describe 'The shipped script run from the module''s folder in a fresh pwsh' {
    It 'imports the module itself and prints its verdict, its journal then exported' {
        $shipped = Join-Path (Split-Path $ModuleManifest) 'runbooks/postgres-pitr.ps1'
        $report = Join-Path $Work 'pitr.html'
        # A new process without DrTools imported, nor on its module path: what a newcomer's shell is. (A pipeline finds
        # its commands before the script runs, so Export-DrReport comes in the next statement.)
        $command = "`$journal = & '$shipped' -HistoryPath '$Work/history'; `$journal | Export-DrReport -Format Html -Path '$report'"
        $output = & (Join-Path $PSHOME 'pwsh') -NoProfile -NonInteractive -Command $command 2>&1 | Out-String
        $LASTEXITCODE | Should -Be 0 -Because $output
        $output | Should -Match 'PostgreSQL point-in-time recovery drill: PASSED in \d+(\.\d+)? s'
        $output | Should -Match 'RTO: met: \d+(\.\d+)? s ≤ 120 s'
        $output | Should -Match 'RPO: met: \d+(\.\d+)? s ≤ 5 s'
        $output | Should -Match 'journal and reports: '
        $report | Should -Exist
        Assert-NothingLeft
    }
}

Describe 'A failover drill as a script step' {
    It 'is recorded by the run, its probe history beside the journal, and not again as a drill of its own' {
        $sandbox = New-DrSandbox -Standbys 1 -Confirm:$false
        $run = Start-DrRun 'Scripted failover' -Target @{ db = $sandbox }
        try {
            Invoke-DrStep $run 'Fail over' { $sandbox | Invoke-DbFailover -Mode Failover -SkipIntegrity -Confirm:$false } | Out-Null
        }
        finally {
            $journal = $run | Complete-DrRun
        }
        $journal.Status | Should -Be 'Passed'
        $journal.Steps[0].Drill | Should -Match '^[0-9a-f]{32}$'
        $lines = Get-Content (Join-Path $journal.Folder 'history.jsonl') | ConvertFrom-Json
        $lines.drill | Sort-Object -Unique | Should -Be $journal.Steps[0].Drill
        $alone = Get-ChildItem "$Work/history" -Filter journal.json -Recurse |
            Where-Object { (Get-Content $_ -Raw | ConvertFrom-Json).source -eq 'Invoke-DbFailover' }
        $alone | Should -BeNullOrEmpty -Because 'the run records the drill, not Invoke-DbFailover on its own'
        Assert-NothingLeft
    }
}

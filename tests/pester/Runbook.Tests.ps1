#Requires -Version 7.6
# Runbooks, their reports and the drill history from PowerShell.
# Pester 5, on the packaged module; they need the servers the xunit tests need. Run: dotnet pwsh ./build.ps1 -Task Test

BeforeAll {
    . "$PSScriptRoot/Common.ps1" -Name runbook
}

AfterAll {
    Remove-TestRoot
}

Describe 'Runbooks, reports and the drill history' {
    BeforeAll {
        $HistoryPath = Join-Path ([IO.Path]::GetTempPath()) "drtools-pester-history-$([guid]::NewGuid().ToString('n'))"
        $RunbookFolder = Join-Path ([IO.Path]::GetTempPath()) "drtools-pester-runbooks-$([guid]::NewGuid().ToString('n'))"
        New-Item -ItemType Directory $RunbookFolder | Out-Null
    }

    AfterAll {
        Remove-Item $HistoryPath, $RunbookFolder -Recurse -Force -ErrorAction SilentlyContinue
    }

    It 'runs the shipped failover runbook green, with RTO and RPO measured and met' {
        $run = Invoke-DrRunbook -Path "$RepositoryRoot/runbooks/postgres-failover.yml" -HistoryPath $HistoryPath -Confirm:$false
        $run.Status | Should -Be 'Passed'
        ($run.Objectives | Where-Object Name -eq 'rto').Met | Should -BeTrue
        ($run.Objectives | Where-Object Name -eq 'rpo').Measurement.Measured | Should -Be 0
        $run.Steps.Status | Should -Not -Contain 'Failed'
        Test-Path $run.ScratchDirectory | Should -BeFalse
        Test-Path (Join-Path $run.Folder 'report.html') | Should -BeTrue
    }

    It 'mixes PowerShell script steps with operations, passing saved results both ways' {
        $file = Join-Path $RunbookFolder 'mixed.yml'
        Set-Content $file @'
name: Mixed drill
targets:
  db: { sandbox: { standbys: 0 } }
steps:
  - { name: From PowerShell, script: '[pscustomobject]@{ Answer = 42 }', save: answer }
  - { name: In SQL, run: Invoke-DbQuery, with: { target: db, query: "select ${answer.Answer} * 2" }, save: doubled }
  - { name: Back in PowerShell, script: 'if ($doubled.Value -ne 84) { throw "got $($doubled.Value)" }; "checked $factor"', with: { factor: "${answer.Answer}" } }
cleanup:
  - { name: Remove sandbox, run: Remove-DrSandbox, with: { target: db } }
'@
        $run = Invoke-DrRunbook -Path $file -HistoryPath $HistoryPath -Confirm:$false
        $run.Status | Should -Be 'Passed' -Because ($run.Issues -join '; ')
        ($run.Steps | Where-Object Name -eq 'Back in PowerShell').Summary | Should -Be 'checked 42'
    }

    It 'fails the run on a script step that throws, names it, and still cleans up' {
        $file = Join-Path $RunbookFolder 'throws.yml'
        Set-Content $file @'
name: Throwing drill
targets:
  db: { sandbox: { standbys: 0 } }
steps:
  - { name: Broken script, script: 'throw "the application did not come back"' }
cleanup:
  - { name: Remove sandbox, run: Remove-DrSandbox, with: { target: db } }
'@
        $run = Invoke-DrRunbook -Path $file -HistoryPath $HistoryPath -Confirm:$false
        $run.Status | Should -Be 'Failed'
        $run.Issues[0] | Should -BeLike 'step 1: Broken script (script) failed: *the application did not come back*'
        ($run.Steps | Where-Object Name -eq 'Remove sandbox').Status | Should -Be 'Passed'
        $junit = [xml](Export-DrReport -Journal $run -Format JUnit)
        $junit.testsuites.testsuite.testcase | Where-Object { $_.failure } | ForEach-Object name | Should -Be '1: Broken script'
        $nunit = [xml]($run | Export-DrReport -Format NUnit)
        $nunit.'test-results'.failures | Should -Be '1'
        ($nunit.'test-results'.'test-suite'.results.'test-case' | Where-Object result -EQ 'Failure').failure.message | Should -BeLike 'step 1: Broken script (script): *the application did not come back*'
        { $run | Should -MeetObjective } | Should -Throw -ExpectedMessage '*it was held to no target.'
    }

    It 'reports a malformed runbook with its line and column, and runs nothing' {
        $file = Join-Path $RunbookFolder 'bad.yml'
        Set-Content $file "name: x`ntargets: { db: { sandbox: {} } }`nsteps:`n  - { run: Invoke-DbFailure, with: { target: db } }"
        $before = @(Get-ChildItem $HistoryPath -Directory).Count
        { Invoke-DrRunbook -Path $file -HistoryPath $HistoryPath -Confirm:$false -ErrorAction Stop } | Should -Throw -ExpectedMessage "*bad.yml:4:12: step 1 'Invoke-DbFailure': unknown operation*"
        @(Get-ChildItem $HistoryPath -Directory).Count | Should -Be $before
    }

    It 'runs nothing with -WhatIf' {
        $before = @(Get-ChildItem $HistoryPath -Directory).Count
        Invoke-DrRunbook -Path "$RepositoryRoot/runbooks/postgres-pitr.yml" -HistoryPath $HistoryPath -WhatIf | Should -BeNullOrEmpty
        @(Get-ChildItem $HistoryPath -Directory).Count | Should -Be $before
    }

    It 'exports Markdown, self-contained HTML with the timeline chart, JSON and JUnit' {
        $journal = Get-ChildItem $HistoryPath -Recurse -Filter journal.json | Select-Object -First 1
        $markdown = Export-DrReport -JournalPath $journal.FullName
        $markdown | Should -Match '\| Reviewer \|  \|'
        $html = Export-DrReport -JournalPath $journal.Directory.FullName -Format Html -Path (Join-Path $RunbookFolder 'report.html') -Confirm:$false
        $html | Should -BeOfType [System.IO.FileInfo]
        Get-Content $html -Raw | Should -Match '<svg class="timeline"'
        (Export-DrReport -JournalPath $journal.FullName -Format Json | ConvertFrom-Json).id | Should -Not -BeNullOrEmpty
    }

    It 'summarizes the history per drill with the mean time to recover' {
        $entry = Get-DrDrillHistory -HistoryPath $HistoryPath -Name 'PostgreSQL failover*'
        $entry.Runs | Should -Be 1
        $entry.LastResult | Should -Be 'Passed'
        $entry.MeanTimeToRecoverSeconds | Should -BeGreaterThan 0
        ([xml]($entry | Export-DrReport -Format JUnit)).testsuites.testsuite.name | Should -Be 'PostgreSQL failover drill'
    }

    It 'completes runbook files' {
        $line = "Invoke-DrRunbook -Path $RepositoryRoot/runbooks/postgres-f"
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be "$RepositoryRoot/runbooks/postgres-failover.yml"
    }
}

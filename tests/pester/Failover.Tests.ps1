#Requires -Version 7.6
# Failover drills and checksums from PowerShell.
# Pester 5, on the packaged module; they need the servers the xunit tests need. Run: dotnet pwsh ./build.ps1 -Task Test

BeforeAll {
    . "$PSScriptRoot/Common.ps1" -Name failover
}

AfterAll {
    Remove-TestRoot
}

Describe 'Failover drills and checksums' {
    BeforeAll {
        $Sandbox = New-DrSandbox -Standbys 1 -Path $TestRoot -Confirm:$false
        $Password = (Get-Content (Join-Path $Sandbox.Directory 'sandbox.json') -Raw | ConvertFrom-Json).password
        $Primary = $Sandbox.Members | Where-Object Name -EQ 'node0'
        $env:PGPASSWORD = $Password
        & psql -h 127.0.0.1 -p $Primary.Port -U drtools -d postgres -q -c 'create table ledger as select g as id, g * 10 as amount from generate_series(1, 1000) g'
        Remove-Item Env:PGPASSWORD
        $DrillHistory = Join-Path ([IO.Path]::GetTempPath()) "drtools-pester-history-$([guid]::NewGuid().ToString('n'))"
    }

    AfterAll {
        if ($Sandbox) { $Sandbox | Remove-DrSandbox -Confirm:$false }
        Remove-Item $DrillHistory -Recurse -Force -ErrorAction Ignore
    }

    It 'shows the plan with -WhatIf and changes nothing' {
        $Sandbox | Invoke-DbFailover -Mode Failover -WhatIf
        $status = $Sandbox | Get-DbClusterStatus
        $status.Primary.Name | Should -Be 'node0'
        $status.Primary.Timeline | Should -Be 1
    }

    It 'switches over within its objectives, and the data compares PASS afterwards' {
        $before = $Sandbox | Get-DbChecksum
        @($before.Tables).Count | Should -Be 1
        $result = $Sandbox | Invoke-DbFailover -RtoSeconds 30 -RpoSeconds 0 -HistoryPath $DrillHistory -Confirm:$false
        $result.Met | Should -BeTrue
        # Recorded as a run of its own: listed in the drill history, its probe history beside its journal.
        $run = Get-DrDrillHistory -HistoryPath $DrillHistory
        $run.Drill | Should -Be "Switchover of sandbox $($Sandbox.Id)"
        (Get-Content $run.LastJournal -Raw | ConvertFrom-Json).source | Should -Be 'Invoke-DbFailover'
        Join-Path (Split-Path $run.LastJournal) 'history.jsonl' | Should -Exist
        $result.LostWrites.Measured | Should -Be 0
        $result.NewPrimary | Should -BeLike 'node1*'
        $result.IntegrityResult | Should -Be 'PASS'
        $result.TopologyAfter.Healthy | Should -BeTrue
        $result | Out-String | Should -Match 'WriteUnavailability'
        ($Sandbox | Compare-DbChecksum -Reference $before).Result | Should -Be 'PASS'
    }

    It 'fails over unplanned and rejoins the old primary' {
        $result = $Sandbox | Invoke-DbFailover -Mode Failover -Rejoin -ProbeRate 25 -HistoryPath $DrillHistory -NoHistory -Confirm:$false
        $result.NewPrimary | Should -BeLike 'node0*'
        (Get-DrDrillHistory -HistoryPath $DrillHistory).Runs | Should -Be 1 -Because '-NoHistory records nothing'
        $result.State | Should -BeLike '*rejoined as a standby*'
        ($result.Timeline | Where-Object Name -EQ 'fault completed').Detail | Should -BeLike 'SIGKILL of postmaster PID *'
    }

    It 'reports a lone drill piped from Invoke-DbFailover like a run, objectives and timeline included' {
        $junit = [xml]($Sandbox | Invoke-DbFailover -RtoSeconds 30 -RpoSeconds 0 -Confirm:$false | Export-DrReport -Format JUnit)
        $junit.testsuites.testsuite.name | Should -Be "Switchover of sandbox $($Sandbox.Id)"
        $junit.testsuites.failures | Should -Be '0'
        $junit.testsuites.testsuite.testcase.name | Should -Be '1: Switchover', 'RTO', 'RPO'
        $html = $Sandbox | Invoke-DbFailover -Mode Failover -Rejoin -RtoSeconds 30 -Confirm:$false | Export-DrReport -Format Html
        $html | Should -Match 'write outage seen by clients'
    }

    It 'injects the user''s -FaultCommand on a sandbox, not its own SIGKILL' {
        $primary = $Sandbox.Members | Where-Object Name -EQ ($Sandbox | Get-DbClusterStatus).Primary.Name
        $mark = Join-Path $TestRoot "fault-$([guid]::NewGuid().ToString('n'))"
        $command = "touch '$mark' && kill -KILL `$(head -1 '$($primary.DataDirectory)/postmaster.pid')"
        $result = $Sandbox | Invoke-DbFailover -Mode Failover -Rejoin -FaultCommand $command -Confirm:$false
        $mark | Should -Exist
        ($result.Timeline | Where-Object Name -EQ 'fault completed').Detail | Should -Be "fault command '$command' for $($primary.Name) (127.0.0.1:$($primary.Port))"
        $result.TopologyAfter.Healthy | Should -BeTrue -Because $result.TopologyAfter.Verdict
        Remove-Item $mark
    }

    It 'refuses a second drill on the sandbox with a terminating error naming the drill that holds it' {
        # The first drill's "fault" only says it started and waits: it holds the sandbox, the cluster untouched.
        $started = Join-Path $TestRoot "fault-$([guid]::NewGuid().ToString('n'))"
        $ps = [powershell]::Create()
        $null = $ps.AddScript("Import-Module '$ModuleManifest'; Get-DrSandbox -Path '$TestRoot' -Id $($Sandbox.Id) | " +
            "Invoke-DbFailover -Mode Failover -SkipIntegrity -FaultCommand 'touch ''$started'' && exec sleep 30' -Confirm:`$false")
        $handle = $ps.BeginInvoke()
        try {
            $deadline = [DateTime]::UtcNow.AddSeconds(120)
            while (-not (Test-Path $started) -and [DateTime]::UtcNow -lt $deadline -and -not $handle.IsCompleted) { Start-Sleep -Milliseconds 20 }
            $started | Should -Exist -Because "the first drill must hold the sandbox ($($ps.InvocationStateInfo.State) $($ps.InvocationStateInfo.Reason))"
            { $Sandbox | Invoke-DbFailover -Mode Failover -Rejoin -Confirm:$false -ErrorAction Stop } |
                Should -Throw -ExpectedMessage "drill on sandbox $($Sandbox.Id) refused: another drill holds it (pid $PID (*) on *: Failover: fail primary *). One drill at a time per target; nothing was changed."
        }
        finally {
            $ps.Stop()
            $ps.Dispose()
            Remove-Item $started -ErrorAction SilentlyContinue
        }
        ($Sandbox | Get-DbClusterStatus).Healthy | Should -BeTrue
    }

    It 'refuses a cluster not allowed for drills, before connecting to it' {
        { Invoke-DbFailover -ConnectionString 'Host=127.0.0.1;Port=1' -Mode Failover -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ExpectedMessage '*not allowed for drills*Nothing was changed.'
    }

    It 'compares two checksums given as objects' {
        $a = $Sandbox | Get-DbChecksum -Table ledger
        (Compare-DbChecksum -Reference $a -Difference $a).Result | Should -Be 'PASS'
    }
}

#Requires -Version 7.6
# A DR drill as a Pester test: what a team puts in its own CI to prove, every run, that a failover meets its
# objectives. Run it with:  Invoke-Pester ./DrDrill.Tests.ps1 -Output Detailed
# (CI here runs it against the packaged module through DRTOOLS_MODULE_MANIFEST; installed, DrTools is found by name.)

BeforeAll {
    Import-Module ($env:DRTOOLS_MODULE_MANIFEST ?? 'DrTools')
    $Reports = Join-Path ([IO.Path]::GetTempPath()) "drtools-example-$([guid]::NewGuid().ToString('n'))"
    New-Item -ItemType Directory $Reports | Out-Null
}

AfterAll {
    Remove-Item $Reports -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Unplanned failover of a synchronous PostgreSQL pair' {
    BeforeAll {
        # Against production you would name the members and allow them: -ConnectionString ... -AllowDrillOn ...
        $Cluster = New-DrSandbox -Standbys 1 -Synchronous -Confirm:$false
    }

    AfterAll {
        $Cluster | Remove-DrSandbox -Confirm:$false
    }

    It 'starts healthy' {
        ($Cluster | Get-DbClusterStatus).Healthy | Should -BeTrue
    }

    It 'recovers writes within 30 s and loses no acknowledged write' {
        $drill = $Cluster | Invoke-DbFailover -Mode Failover -Rejoin -RtoSeconds 30 -RpoSeconds 0 -Confirm:$false
        $drill.WriteUnavailability | Should -MeetObjective -Because 'the application may be unable to write for at most 30 s'
        $drill.DataLossWindow | Should -MeetObjective
        $drill.LostWrites.Measured | Should -Be 0
        $drill.TopologyAfter.Healthy | Should -BeTrue
    }
}

Describe 'The shipped failover runbook' {
    It 'passes with its RTO and RPO met, and leaves an NUnit report for the CI server' {
        $repository = Split-Path (Split-Path $PSScriptRoot)
        $run = Invoke-DrRunbook -Path "$repository/runbooks/postgres-failover.yml" -HistoryPath $Reports -Confirm:$false
        $run | Should -MeetObjective
        $report = $run | Export-DrReport -Format NUnit -Path (Join-Path $Reports 'drill.nunit.xml') -Confirm:$false
        ([xml](Get-Content $report -Raw)).'test-results'.failures | Should -Be '0'
    }
}

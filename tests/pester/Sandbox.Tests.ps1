#Requires -Version 7.6
# Sandboxes from PowerShell, ShouldProcess, and Should -MeetObjective.
# Pester 5, on the packaged module; they need the servers the xunit tests need. Run: dotnet pwsh ./build.ps1 -Task Test

BeforeAll {
    . "$PSScriptRoot/Common.ps1" -Name sandbox
}

AfterAll {
    Remove-TestRoot
}

Describe 'Should -MeetObjective' {
    BeforeAll {
        # DrTools.Core lives in the module's own AssemblyLoadContext, where type literals do not reach; a cmdlet loads it.
        $null = Get-DrSandbox -Path ([IO.Path]::GetTempPath() + [guid]::NewGuid())
        $measurement = ([AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq 'DrTools.Core' }).GetType('DrTools.Core.Measurement')
        $Met = [Activator]::CreateInstance($measurement, [object[]]@('write unavailability (RTO)', 0.2, 's', [Nullable[double]]30, 'longest gap between acknowledged probe writes'))
        $Missed = [Activator]::CreateInstance($measurement, [object[]]@('write unavailability (RTO)', 42.5, 's', [Nullable[double]]30, 'longest gap between acknowledged probe writes'))
    }

    It 'passes a figure within its target' {
        $Met | Should -MeetObjective
        $Missed | Should -Not -MeetObjective
    }

    It 'fails with the measured figure, the target and how it was measured' {
        $failure = { $Missed | Should -MeetObjective -Because 'the SLA says so' } | Should -Throw -PassThru
        $failure.Exception.Message | Should -BeLike ("Expected the result to meet its objectives because the SLA says so, but write " +
            "unavailability (RTO) measured 42.5 s against a target of ≤ 30 s (longest gap between acknowledged probe writes)*")
    }

    It 'refuses what is not a DrTools result' {
        { 'fast enough' | Should -MeetObjective } | Should -Throw -ExpectedMessage '*takes a DrTools measurement*'
    }
}

Describe 'A sandbox' {
    BeforeAll {
        $Sandbox = New-DrSandbox -Standbys 1 -Path $TestRoot -Confirm:$false
        $Password = (Get-Content (Join-Path $Sandbox.Directory 'sandbox.json') -Raw | ConvertFrom-Json).password
        $Primary = $Sandbox.Members | Where-Object Name -EQ 'node0'
    }

    AfterAll {
        if ($Sandbox) { $Sandbox | Remove-DrSandbox -Confirm:$false }
    }

    It 'is a healthy primary with one streaming standby' {
        $status = $Sandbox | Get-DbClusterStatus
        $status.Healthy | Should -BeTrue
        $status.Primary.Name | Should -Be 'node0'
        @($status.Standbys).Count | Should -Be 1
        $status | Out-String | Should -Match 'healthy: primary node0'
    }

    It 'is listed by Get-DrSandbox as running' {
        $listed = Get-DrSandbox -Path $TestRoot | Where-Object Id -EQ $Sandbox.Id
        $listed.State | Should -Be 'Running'
    }

    It 'meets a generous lag threshold (-Quiet returns one boolean)' {
        $Sandbox | Test-ReplicationLag -MaxLagBytes 100MB -Quiet | Should -BeExactly $true
    }

    It 'samples lag and heartbeat over a window given as 2s / 250ms' {
        $result = $Sandbox | Test-ReplicationLag -Heartbeat -Duration 2s -Interval 250ms -MaxLagSeconds 5
        $result.LagBytes.Samples | Should -BeGreaterOrEqual 6
        $result.HeartbeatLagSeconds.Measured | Should -BeGreaterThan 0
        $result.HeartbeatLagSeconds.Target | Should -Be 5
        $result | Out-String | Should -Match 'node1'
    }

    It 'reports a threshold below the lag as not met' {
        $Sandbox | Test-ReplicationLag -Heartbeat -MaxLagSeconds 0 -Quiet | Should -BeExactly $false
    }

    It 'accepts a connection string with a PSCredential' {
        $credential = [pscredential]::new('drtools', (ConvertTo-SecureString $Password -AsPlainText -Force))
        $status = Get-DbClusterStatus -ConnectionString "Host=127.0.0.1;Port=$($Primary.Port);Database=postgres" -Credential $credential
        $status.Members[0].Role | Should -Be 'Primary'
    }

    It 'names the member and hides the password when the password is wrong' {
        $credential = [pscredential]::new('drtools', (ConvertTo-SecureString 'Wr0ngHorse' -AsPlainText -Force))
        $status = Get-DbClusterStatus -ConnectionString "Host=127.0.0.1;Port=$($Primary.Port)" -Credential $credential
        $status.Verdict | Should -BeLike "*127.0.0.1:$($Primary.Port): unreachable: password authentication failed*"
        $status.Verdict | Should -Not -Match 'Wr0ngHorse'
    }

    It 'completes its id, and member names from the sandbox or the connection strings' {
        $line = "Get-DrSandbox -Path '$TestRoot' -Id "
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Contain $Sandbox.Id
        $line = 'Invoke-DbFailover -Sandbox $Sandbox -Candidate '
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be 'node0', 'node1'
        $line = "Invoke-DbQuery -ConnectionString 'Host=127.0.0.1;Port=5432','Host=127.0.0.1;Port=5433' -Query 'select 1' -Member 127.0.0.1:5433"
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be '127.0.0.1:5433'
    }

    It 'is left alone by Remove-DrSandbox -WhatIf' {
        $Sandbox | Remove-DrSandbox -WhatIf
        Test-Path $Sandbox.Directory | Should -BeTrue
        ($Sandbox | Get-DbClusterStatus).Healthy | Should -BeTrue
    }
}

Describe 'ShouldProcess' {
    It 'New-DrSandbox -WhatIf creates nothing' {
        $root = Join-Path ([IO.Path]::GetTempPath()) "drtools-whatif-$([guid]::NewGuid().ToString('n'))"
        New-DrSandbox -Path $root -WhatIf
        Test-Path $root | Should -BeFalse
    }

    It 'Remove-DrSandbox removes the directory and every process' {
        $sandbox = New-DrSandbox -Standbys 0 -Path $TestRoot -Confirm:$false
        $sandbox | Remove-DrSandbox -Confirm:$false
        Test-Path $sandbox.Directory | Should -BeFalse
        Get-DrSandbox -Path $TestRoot | Where-Object Id -EQ $sandbox.Id | Should -BeNullOrEmpty
    }
}

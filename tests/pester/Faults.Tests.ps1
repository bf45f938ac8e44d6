#Requires -Version 7.6
# Faults from PowerShell, through the packaged module: held, stopped, undone on Ctrl+C, and as a failover's fault.

BeforeAll {
    $RepositoryRoot = (Resolve-Path "$PSScriptRoot/../..").Path
    $version = (Import-PowerShellDataFile "$RepositoryRoot/module/DrTools.psd1").ModuleVersion
    $ModuleManifest = $env:DRTOOLS_MODULE_MANIFEST ?? "$RepositoryRoot/output/DrTools/$version/DrTools.psd1"
    Import-Module $ModuleManifest -Force
    $Root = Join-Path ([IO.Path]::GetTempPath()) "drtools-pester-faults-$([guid]::NewGuid().ToString('n'))"
    $Sandbox = New-DrSandbox -Standbys 1 -Path $Root -Confirm:$false
}

AfterAll {
    Remove-DrSandbox -All -Path $Root -Confirm:$false -WarningAction SilentlyContinue
    Remove-Item $Root -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Faults in PowerShell' {
    It 'holds a fault for -Duration and returns it undone, with no trace left' {
        $end = $Sandbox | Start-DrFault -Kind PacketLoss -Member node1 -Parameter @{ percent = 40 } -Duration 1s -Confirm:$false
        $end.Undone | Should -BeTrue
        $end.Duration.TotalSeconds | Should -BeGreaterOrEqual 1
        $end.Fault.Description | Should -BeLike 'PacketLoss of 40% of node1 (127.0.0.1:*)''s packets with everyone (clients, standbys, the primary), each direction'
        ($Sandbox | Test-DrFault).Clear | Should -BeTrue
    }

    It 'changes nothing with -WhatIf, and refuses a parameter the kind does not take in one line' {
        $Sandbox | Start-DrFault -Kind Freeze -Member node1 -WhatIf
        Get-DrFault | Should -BeNullOrEmpty
        { $Sandbox | Start-DrFault -Kind Partition -Member node1 -Parameter @{ form = 'node0' } -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ExpectedMessage "Partition takes no parameter 'form' (it takes from: *"
        Get-DrFault | Should -BeNullOrEmpty
    }

    It 'undoes a held fault when the pipeline is stopped (Ctrl+C)' {
        $ps = [powershell]::Create()
        $null = $ps.AddScript("Import-Module '$ModuleManifest'; Get-DrSandbox -Id '$($Sandbox.Id)' -Path '$Root' | Start-DrFault -Kind Freeze -Member node1 -Duration 2m -Confirm:`$false")
        $handle = $ps.BeginInvoke()
        try {
            $deadline = [DateTime]::UtcNow.AddSeconds(60)
            while (-not ($Sandbox | Test-DrFault).Frozen -and [DateTime]::UtcNow -lt $deadline -and -not $handle.IsCompleted) {
                Start-Sleep -Milliseconds 50
            }
            $state = $ps.InvocationStateInfo
            (Get-DrFault).Kind | Should -Be 'Freeze' -Because "the fault must be in effect ($($state.State) $($state.Reason))"
            ($Sandbox | Test-DrFault).Frozen | Should -Not -BeNullOrEmpty
        }
        finally {
            # Also when an assertion failed: the held fault must not stay to break the tests after this one.
            $ps.Stop()
            $ps.Dispose()
        }
        $trace = $Sandbox | Test-DrFault
        $trace.Clear | Should -BeTrue -Because "$trace"
    }

    It 'gives up on a frozen member of a sandbox after -ConnectTimeout' {
        $fault = $Sandbox | Start-DrFault -Kind Freeze -Member node1 -Confirm:$false
        try {
            $watch = [Diagnostics.Stopwatch]::StartNew()
            $status = $Sandbox | Get-DbClusterStatus -ConnectTimeout 2s
            $watch.Stop()
        }
        finally {
            Stop-DrFault -Id $fault.Id -Confirm:$false
        }
        $status.Verdict | Should -BeLike '*node1 (127.0.0.1:*): unreachable: no answer within 2s*'
        # A bound, not a rate: 10 s (the default) when the timeout is dropped; 2 s and a second look at the port when it is not.
        $watch.Elapsed.TotalSeconds | Should -BeLessThan 8
        ($Sandbox | Test-DrFault).Clear | Should -BeTrue
    }

    It 'records a failover run on its own that ends with an error: the step failed, and the drill-error line in history.jsonl' {
        $history = Join-Path $Root 'history'
        $failure = {
            $Sandbox |
                Invoke-DbFailover -Mode Failover -FaultCommand 'exit 3' -SkipIntegrity -HistoryPath $history -Confirm:$false `
                    -ErrorAction Stop
        } | Should -Throw -PassThru
        $failure.Exception.Message | Should -BeLike '*fault command for node0*(exit code 3)*'
        $file = @(Get-ChildItem $history -Recurse -Filter journal.json)
        $file.Count | Should -Be 1 -Because 'the drill is recorded as on success'
        $journal = Get-Content $file[0].FullName -Raw | ConvertFrom-Json
        $journal.status, $journal.steps[0].status | Should -Be 'failed', 'failed'
        $journal.steps[0].message | Should -Be $failure.Exception.Message
        $lines = Get-Content (Join-Path $file[0].DirectoryName 'history.jsonl') | ConvertFrom-Json
        @($lines | Where-Object f -EQ 'write').Count | Should -BeGreaterThan 0
        ($lines | Where-Object f -EQ 'drill-error').error | Should -Be $failure.Exception.Message
        ($Sandbox | Get-DbClusterStatus).Healthy | Should -BeTrue
    }

    It 'is the fault of a failover drill: the primary cut off, failed over, fenced, the partition lifted' {
        $result = $Sandbox | Invoke-DbFailover -Mode Failover -Fault Partition -Rejoin -RtoSeconds 30 -Confirm:$false
        $result.RecoveredBy | Should -Be 'DrTools'
        $result.NewPrimary | Should -BeLike 'node1 *'
        ($result.Timeline | Where-Object Name -EQ 'fault completed').Detail | Should -BeLike 'Partition of node0 (127.0.0.1:*) from everyone*'
        ($Sandbox | Get-DbClusterStatus).Healthy | Should -BeTrue
        ($Sandbox | Test-DrFault).Clear | Should -BeTrue
        { $Sandbox | Invoke-DbFailover -Mode Failover -Fault Meltdown -Confirm:$false -ErrorAction Stop } | Should -Throw -ExpectedMessage "*Meltdown*"
    }
}

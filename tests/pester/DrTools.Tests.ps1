#Requires -Version 7.6
# Pester 5 tests of the packaged module (build.ps1 -Task Package puts it in output/DrTools/<version>/).
# They need PostgreSQL server binaries, as the xunit tests do; run them with: dotnet pwsh ./build.ps1 -Task Test

BeforeAll {
    $RepositoryRoot = (Resolve-Path "$PSScriptRoot/../..").Path
    $version = (Import-PowerShellDataFile "$RepositoryRoot/module/DrTools.psd1").ModuleVersion
    $ModuleManifest = if ($env:DRTOOLS_MODULE_MANIFEST) { $env:DRTOOLS_MODULE_MANIFEST } else { "$RepositoryRoot/output/DrTools/$version/DrTools.psd1" }
    if (-not (Test-Path $ModuleManifest)) { throw "The packaged module is not at ${ModuleManifest}: run ./build.ps1 -Task Package first." }
    Import-Module $ModuleManifest -Force
    $SandboxRoot = Join-Path ([IO.Path]::GetTempPath()) "drtools-pester-$([guid]::NewGuid().ToString('n'))"
}

AfterAll {
    if (Test-Path $SandboxRoot) {
        Remove-DrSandbox -All -Path $SandboxRoot -Confirm:$false
        Remove-Item $SandboxRoot -Recurse -Force
    }
    Remove-Module DrTools -ErrorAction SilentlyContinue
}

Describe 'The DrTools module' {
    It 'exports exactly the cmdlets its manifest lists' {
        $listed = (Import-PowerShellDataFile $ModuleManifest).CmdletsToExport | Sort-Object
        (Get-Command -Module DrTools).Name | Sort-Object | Should -Be $listed
    }

    It 'gives every parameter of every cmdlet a help message' {
        $common = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters
        foreach ($command in Get-Command -Module DrTools) {
            foreach ($parameter in $command.Parameters.Values | Where-Object Name -NotIn $common) {
                $parameter.Attributes | Where-Object { $_ -is [System.Management.Automation.ParameterAttribute] } | ForEach-Object {
                    $_.HelpMessage | Should -Not -BeNullOrEmpty -Because "$($command.Name) -$($parameter.Name) needs help text"
                }
            }
        }
    }

    It 'has about help' {
        Get-Help about_DrTools | Out-String | Should -Match 'Get-DbClusterStatus'
    }

    It 'loads Npgsql in its own AssemblyLoadContext, not the default one' {
        { Get-DbClusterStatus -ConnectionString 'Host=127.0.0.1;Port=1' -ConnectTimeout 1s } | Should -Not -Throw
        $npgsql = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq 'Npgsql' }
        $npgsql | Should -Not -BeNullOrEmpty
        $npgsql | ForEach-Object { [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext($_).Name } | Should -Be 'DrTools'
    }
}

Describe 'Bad input' {
    It 'reports a malformed connection string in one line, naming the member, without the password' {
        $failure = { Get-DbClusterStatus -ConnectionString 'Host=127.0.0.1;Port=abc;Password=Sup3rSecret' -ErrorAction Stop } | Should -Throw -PassThru
        $failure.Exception.Message | Should -BeLike 'member #1: invalid connection string*'
        $failure.Exception.Message | Should -Not -Match 'Sup3rSecret'
        $failure.Exception.Message | Should -Not -Match "`n"
    }

    It 'refuses a duration it cannot read, naming it' {
        { Test-ReplicationLag -ConnectionString 'Host=127.0.0.1' -Duration '5x' -ErrorAction Stop } | Should -Throw -ExpectedMessage "*'5x' is not a duration*"
    }

    It 'reports an unreachable member in the verdict' {
        $status = Get-DbClusterStatus -ConnectionString 'Host=127.0.0.1;Port=1' -ConnectTimeout 2s
        $status.Healthy | Should -BeFalse
        $status.Verdict | Should -BeLike '*127.0.0.1:1: unreachable: connection refused*'
    }
}

Describe 'Durations the PowerShell way' {
    # 2s is an Int16 literal in PowerShell, 250ms a string: both, and TimeSpans, must bind.
    It 'binds <Name>' -ForEach @(
        @{ Name = '2s (an Int16 literal)'; Value = 2s; Seconds = 2 }
        @{ Name = 'a number of seconds'; Value = 1.5; Seconds = 1.5 }
        @{ Name = "the string '250ms'"; Value = '250ms'; Seconds = 0.25 }
        @{ Name = "the string '5m'"; Value = '5m'; Seconds = 300 }
        @{ Name = "the string '00:00:30'"; Value = '00:00:30'; Seconds = 30 }
        @{ Name = 'a [timespan]'; Value = [timespan]::FromSeconds(3); Seconds = 3 }
        @{ Name = 'New-TimeSpan'; Value = (New-TimeSpan -Seconds 4); Seconds = 4 }
    ) {
        $status = Get-DbClusterStatus -ConnectionString 'Host=127.0.0.1;Port=1' -ConnectTimeout $Value
        $status.Verdict | Should -BeLike '*connection refused*'
        $attribute = (Get-Command Get-DbClusterStatus).Parameters['ConnectTimeout'].Attributes | Where-Object { $_ -is [System.Management.Automation.ArgumentTransformationAttribute] }
        $attribute.Transform($ExecutionContext, $Value).TotalSeconds | Should -Be $Seconds
    }

    It 'refuses <Value> in one line naming the range' -ForEach @(
        @{ Value = '99999999999999h'; Message = '*99999999999999h is out of range; give more than 0 and at most 576h (24 days).' }
        @{ Value = 0; Message = '*0ms is out of range; give more than 0*' }
        @{ Value = '-00:00:05'; Message = '*-5s is out of range*' }
        @{ Value = 1e300; Message = '*out of range*' }
    ) {
        $failure = { Get-DbClusterStatus -ConnectionString 'Host=127.0.0.1;Port=1' -ConnectTimeout $Value -ErrorAction Stop } | Should -Throw -PassThru
        $failure.Exception.Message | Should -BeLike $Message
        $failure.Exception.Message | Should -Not -Match "`n"
    }
}

Describe 'Safety: what is not a sandbox is never touched' {
    BeforeAll {
        $ForeignRoot = Join-Path ([IO.Path]::GetTempPath()) "drtools-pester-home-$([guid]::NewGuid().ToString('n'))"
        New-Item -ItemType Directory "$ForeignRoot/.ssh", "$ForeignRoot/Documents", "$ForeignRoot/garbage" | Out-Null
        Set-Content "$ForeignRoot/.ssh/id_ed25519" 'secret key'
        Set-Content "$ForeignRoot/Documents/notes.txt" 'notes'
        Set-Content "$ForeignRoot/garbage/sandbox.json" '{ not json'
        # Runs' scratch folders are listed too: an empty runs folder of its own keeps the count to this test's folders.
        $SavedRunsRoot = $env:DRTOOLS_RUNS_ROOT
        $env:DRTOOLS_RUNS_ROOT = "$ForeignRoot-runs"
    }

    AfterAll {
        if ($SavedRunsRoot) { $env:DRTOOLS_RUNS_ROOT = $SavedRunsRoot } else { Remove-Item Env:DRTOOLS_RUNS_ROOT }
        Remove-Item $ForeignRoot, "$ForeignRoot-runs" -Recurse -Force -ErrorAction SilentlyContinue
    }

    It 'lists foreign folders as NotASandbox' {
        $listed = Get-DrSandbox -Path $ForeignRoot
        @($listed).Count | Should -Be 3
        $listed.State | Sort-Object -Unique | Should -Be 'NotASandbox'
        ($listed | Where-Object Id -EQ 'garbage').Note | Should -BeLike 'sandbox.json is unreadable*'
        $listed | Out-String -Width 80 | Should -Match 'no sandbox.json'
    }

    It 'Remove-DrSandbox -All removes the sandboxes and warns about, but keeps, everything else' {
        $sandbox = New-DrSandbox -Standbys 0 -Path $ForeignRoot -Confirm:$false
        Remove-DrSandbox -All -Path $ForeignRoot -Confirm:$false -WarningVariable warnings -WarningAction SilentlyContinue
        Test-Path $sandbox.Directory | Should -BeFalse
        @($warnings).Count | Should -Be 3
        $warnings | ForEach-Object { "$_" } | Should -BeLike 'skipped *: * is not a DrTools sandbox (*): left untouched'
        Get-Content "$ForeignRoot/.ssh/id_ed25519" | Should -Be 'secret key'
        Get-Content "$ForeignRoot/Documents/notes.txt" | Should -Be 'notes'
    }

    It 'Remove-DrSandbox -Id of a foreign folder is refused and changes nothing' {
        { Remove-DrSandbox -Id Documents -Path $ForeignRoot -Confirm:$false -ErrorAction Stop } | Should -Throw -ExpectedMessage '*Documents is not a DrTools sandbox (no sandbox.json): left untouched'
        Test-Path "$ForeignRoot/Documents/notes.txt" | Should -BeTrue
    }
}

Describe 'Bad input found by trying to break it' {
    It 'refuses a port out of range as invalid input, in one line' {
        $failure = { Get-DbClusterStatus -ConnectionString 'Host=127.0.0.1;Port=70000' -ErrorAction Stop } | Should -Throw -PassThru
        $failure.Exception.Message | Should -Be "member #1: invalid connection string: Port '70000' is not a port number (1 to 65535)."
        $failure.CategoryInfo.Category | Should -Be 'InvalidArgument'
    }

    It 'refuses a target time without a time zone' {
        { Restore-PointInTime /tmp/no-repository -TargetTime '2026-11-24 08:00:00' -Confirm:$false -ErrorAction Stop } | Should -Throw -ExpectedMessage "*'2026-11-24 08:00:00' has no time zone*"
        { Restore-PointInTime /tmp/no-repository -TargetTime ([datetime]'2026-11-24 08:00:00') -Confirm:$false -ErrorAction Stop } | Should -Throw -ExpectedMessage '*has no time zone*'
    }

    It 'refuses a transaction id no transaction can have' {
        { Restore-PointInTime /tmp/no-repository -TargetXid -5 -Confirm:$false -ErrorAction Stop } | Should -Throw -ExpectedMessage '*-5*minimum*'
    }

    It 'refuses a runbook nested 30,000 levels deep with one error, not a crash' {
        $file = Join-Path ([IO.Path]::GetTempPath()) "drtools-deep-$([guid]::NewGuid().ToString('n')).yml"
        Set-Content $file ('[' * 30000) -NoNewline
        try {
            { Invoke-DrRunbook -Path $file -Confirm:$false -ErrorAction Stop } | Should -Throw -ExpectedMessage '*:1:65: nested more than 64 levels deep*'
        }
        finally { Remove-Item $file }
    }
}

Describe 'Ctrl+C (Stop on a runspace) leaves nothing behind' {
    BeforeAll {
        # A running pipeline's streams block whoever enumerates them until it ends: read them by index.
        function Get-VerboseSoFar([powershell] $PowerShell) {
            $stream = $PowerShell.Streams.Verbose
            for ($i = 0; $i -lt $stream.Count; $i++) { $stream[$i].Message }
        }
        function Stop-WhenStarted([string] $Script, [string] $Root, [scriptblock] $Started) {
            $ps = [powershell]::Create()
            $null = $ps.AddScript("Import-Module '$ModuleManifest'; $Script")
            $handle = $ps.BeginInvoke()
            # Bounded, not fast: a machine loaded beyond its cores took more than a minute to start a sandbox's standby.
            $deadline = [DateTime]::UtcNow.AddSeconds(180)
            while (-not (& $Started $ps) -and [DateTime]::UtcNow -lt $deadline -and -not $handle.IsCompleted) { Start-Sleep -Milliseconds 20 }
            & $Started $ps | Should -BeTrue -Because "the operation must have started before it is stopped ($($ps.InvocationStateInfo.State) $($ps.InvocationStateInfo.Reason))"
            $stopped = [Diagnostics.Stopwatch]::StartNew()
            $ps.Stop()
            $stopped.Elapsed.TotalSeconds | Should -BeLessThan 30 -Because 'Stop must end the operation, not wait for it'
            Get-VerboseSoFar $ps
            $ps.Dispose()
            # The runspace shares this process's environment.
            Remove-Item Env:DRTOOLS_SANDBOX_ROOT -ErrorAction SilentlyContinue
        }
        function Get-DrProbeSession([int] $Port, [string] $Password) {
            $env:PGPASSWORD = $Password
            try { & psql -h 127.0.0.1 -p $Port -U drtools -d postgres -A -t -c "select count(*) from pg_stat_activity where application_name like 'drtools-%-probe'" }
            finally { Remove-Item Env:PGPASSWORD }
        }
    }

    It 'during a failover drill: the cluster keeps one primary and no probe stays connected' {
        $sandbox = New-DrSandbox -Standbys 1 -Path $SandboxRoot -Confirm:$false
        try {
            $verbose = Stop-WhenStarted "Get-DrSandbox -Path '$SandboxRoot' -Id $($sandbox.Id) | Invoke-DbFailover -Mode Failover -Verbose -Confirm:`$false" $SandboxRoot { param($ps) (Get-VerboseSoFar $ps) -match 'the promotion|re-pointing|first write' }
            $verbose | Should -Contain "Failover of sandbox $($sandbox.Id): the fault injection"
            $status = $null
            for ($i = 0; $i -lt 100 -and -not ($status = $sandbox | Get-DbClusterStatus).Primary; $i++) { Start-Sleep -Milliseconds 100 }
            $status.Primary | Should -Not -BeNullOrEmpty -Because $status.Verdict
            $password = (Get-Content (Join-Path $sandbox.Directory 'sandbox.json') -Raw | ConvertFrom-Json).password
            # A closed session is listed until its backend has exited, which on a busy machine is a moment after the close.
            $port = ($sandbox.Members | Where-Object Name -EQ $status.Primary.Name).Port
            for ($i = 0; $i -lt 100 -and ($sessions = Get-DrProbeSession -Port $port -Password $password) -ne 0; $i++) {
                Start-Sleep -Milliseconds 100
            }
            $sessions | Should -Be 0
        }
        finally {
            $sandbox | Remove-DrSandbox -Confirm:$false
        }
    }

    It 'during a lag sampling window' {
        $sandbox = New-DrSandbox -Standbys 1 -Path $SandboxRoot -Confirm:$false
        try {
            $verbose = Stop-WhenStarted "Get-DrSandbox -Path '$SandboxRoot' -Id $($sandbox.Id) | Test-ReplicationLag -Heartbeat -Duration 120s -Interval 200ms -Verbose" $SandboxRoot { param($ps) $ps.Streams.Verbose.Count -ge 3 }
            $verbose[0] | Should -BeLike 'Test-ReplicationLag: sample 1 at +*'
            ($sandbox | Get-DbClusterStatus).Healthy | Should -BeTrue
        }
        finally {
            $sandbox | Remove-DrSandbox -Confirm:$false
        }
    }

    It 'during a backup verification: the restored instance is removed' {
        $root = Join-Path ([IO.Path]::GetTempPath()) "drtools-pester-stop-$([guid]::NewGuid().ToString('n'))"
        $sandbox = New-DrSandbox -Standbys 0 -Path $SandboxRoot -Confirm:$false
        try {
            $repository = Join-Path $root 'repository'
            $sandbox | Enable-DbWalArchive -Repository $repository -Confirm:$false | Out-Null
            $sandbox | New-DbBackup -Repository $repository -NoReference -Confirm:$false | Out-Null
            $verbose = Stop-WhenStarted "`$env:DRTOOLS_SANDBOX_ROOT = '$root'; Test-DbBackup '$repository' -Verbose" $root { Test-Path "$root/*/restored/postmaster.pid" }
            $verbose | Should -Contain 'Test-DbBackup (latest): restore: extracting the backup into a new instance'
            @(Get-ChildItem $root -Directory | Where-Object Name -NE 'repository').Count | Should -Be 0
        }
        finally {
            $sandbox | Remove-DrSandbox -Confirm:$false
            Remove-Item $root -Recurse -Force -ErrorAction SilentlyContinue
        }
    }

    It 'during sandbox creation' {
        $root = Join-Path ([IO.Path]::GetTempPath()) "drtools-pester-stop-$([guid]::NewGuid().ToString('n'))"
        try {
            Stop-WhenStarted "New-DrSandbox -Standbys 1 -Path '$root' -Confirm:`$false" $root { Test-Path "$root/*/node1" } | Out-Null
            Get-ChildItem $root -Force | ForEach-Object Name | Should -BeNullOrEmpty
        }
        finally {
            Remove-DrSandbox -All -Path $root -Confirm:$false -WarningAction SilentlyContinue
            Remove-Item $root -Recurse -Force -ErrorAction SilentlyContinue
        }
    }

    It 'during a runbook step, cleanup included' {
        $root = Join-Path ([IO.Path]::GetTempPath()) "drtools-pester-stop-$([guid]::NewGuid().ToString('n'))"
        $file = Join-Path ([IO.Path]::GetTempPath()) "drtools-stop-$([guid]::NewGuid().ToString('n')).yml"
        Set-Content $file @'
name: Stopped drill
targets: { db: { sandbox: { standbys: 1 } } }
steps:
  - { name: Long query, run: Invoke-DbQuery, with: { target: db, query: "select pg_sleep(120)" } }
cleanup:
  - { name: Remove sandbox, run: Remove-DrSandbox, with: { target: db } }
'@
        try {
            Stop-WhenStarted "`$env:DRTOOLS_SANDBOX_ROOT = '$root'; Invoke-DrRunbook -Path '$file' -Confirm:`$false" $root { Test-Path "$root/*/node1/postmaster.pid" } | Out-Null
            Get-ChildItem $root -Force | ForEach-Object Name | Should -BeNullOrEmpty
        }
        finally {
            Remove-DrSandbox -All -Path $root -Confirm:$false -WarningAction SilentlyContinue
            Remove-Item $root, $file -Recurse -Force -ErrorAction SilentlyContinue
        }
    }
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
        $Sandbox = New-DrSandbox -Standbys 1 -Path $SandboxRoot -Confirm:$false
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
        $listed = Get-DrSandbox -Path $SandboxRoot | Where-Object Id -EQ $Sandbox.Id
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
        $line = "Get-DrSandbox -Path '$SandboxRoot' -Id "
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
        $sandbox = New-DrSandbox -Standbys 0 -Path $SandboxRoot -Confirm:$false
        $sandbox | Remove-DrSandbox -Confirm:$false
        Test-Path $sandbox.Directory | Should -BeFalse
        Get-DrSandbox -Path $SandboxRoot | Where-Object Id -EQ $sandbox.Id | Should -BeNullOrEmpty
    }
}

Describe 'Failover drills and checksums' {
    BeforeAll {
        $Sandbox = New-DrSandbox -Standbys 1 -Path $SandboxRoot -Confirm:$false
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
        $mark = Join-Path $SandboxRoot "fault-$([guid]::NewGuid().ToString('n'))"
        $command = "touch '$mark' && kill -KILL `$(head -1 '$($primary.DataDirectory)/postmaster.pid')"
        $result = $Sandbox | Invoke-DbFailover -Mode Failover -Rejoin -FaultCommand $command -Confirm:$false
        $mark | Should -Exist
        ($result.Timeline | Where-Object Name -EQ 'fault completed').Detail | Should -Be "fault command '$command' for $($primary.Name) (127.0.0.1:$($primary.Port))"
        $result.TopologyAfter.Healthy | Should -BeTrue -Because $result.TopologyAfter.Verdict
        Remove-Item $mark
    }

    It 'refuses a second drill on the sandbox with a terminating error naming the drill that holds it' {
        # The first drill's "fault" only says it started and waits: it holds the sandbox, the cluster untouched.
        $started = Join-Path $SandboxRoot "fault-$([guid]::NewGuid().ToString('n'))"
        $ps = [powershell]::Create()
        $null = $ps.AddScript("Import-Module '$ModuleManifest'; Get-DrSandbox -Path '$SandboxRoot' -Id $($Sandbox.Id) | " +
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

Describe 'Backups, verification by restore, point-in-time recovery' {
    BeforeAll {
        $Sandbox = New-DrSandbox -Standbys 1 -Path $SandboxRoot -Confirm:$false
        $Repository = Join-Path $SandboxRoot 'repository'
        $Password = (Get-Content (Join-Path $Sandbox.Directory 'sandbox.json') -Raw | ConvertFrom-Json).password
        $Primary = $Sandbox.Members | Where-Object Name -EQ 'node0'
        function Invoke-Sql([string] $Sql) {
            $env:PGPASSWORD = $Password
            try { & psql -h 127.0.0.1 -p $Primary.Port -U drtools -d postgres -q -A -t -c $Sql } finally { Remove-Item Env:PGPASSWORD }
        }
    }

    AfterAll {
        if ($Sandbox) { $Sandbox | Remove-DrSandbox -Confirm:$false }
    }

    It 'archives WAL into the repository and takes a backup with a reference' {
        ($Sandbox | Enable-DbWalArchive -Repository $Repository -Confirm:$false).WalDirectory | Should -Be (Join-Path $Repository 'wal')
        Invoke-Sql 'create table orders as select g as id from generate_series(1, 1000) g'
        $backup = $Sandbox | New-DbBackup -Repository $Repository -Confirm:$false
        $backup.ReferenceMethod | Should -BeLike 'read on standby node1*'
        (Get-DbBackup $Repository).Id | Should -Be $backup.Id
        (Get-DbBackup $Repository -RecoverableWindow).EarliestLsn | Should -Be $backup.EndLsn
    }

    It 'verifies the backup by restoring it: PASS, with each phase timed' {
        $result = Test-DbBackup $Repository -RtoSeconds 600
        $result.Result | Should -Be 'PASS'
        $result.RecoverySeconds.Measured | Should -BeGreaterThan 0
        $result.TotalSeconds.Met | Should -BeTrue
    }

    It 'restores to a restore point without the rows written after it' {
        $Sandbox | New-DbRestorePoint -Repository $Repository -Name 'before-markers' -Confirm:$false | Out-Null
        Invoke-Sql "insert into orders select 5000; select pg_switch_wal()" | Out-Null
        Start-Sleep -Seconds 2
        $restore = Restore-PointInTime $Repository -RestorePoint 'before-markers' -MustExist 'select 1 from orders having count(*) = 1000' -MustNotExist 'select 1 from orders where id = 5000' -RemoveInstance -Confirm:$false
        $restore.Result | Should -Be 'PASS'
    }

    It 'refuses a target before the earliest backup, naming the window' {
        { Restore-PointInTime $Repository -TargetTime ([DateTimeOffset]::UtcNow.AddDays(-1)) -Confirm:$false -ErrorAction Stop } | Should -Throw -ExpectedMessage '*outside the recoverable window*Nothing was restored.'
    }

    It 'verifies a backup piped from Get-DbBackup, and completes backup ids and repositories' {
        $result = Get-DbBackup $Repository | Select-Object -Last 1 | Test-DbBackup
        $result.Result | Should -Be 'PASS'
        $result.BackupId | Should -Be (Get-DbBackup $Repository | Select-Object -Last 1).Id
        $line = "Test-DbBackup -Repository '$Repository' -Id "
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Contain (Get-DbBackup $Repository)[0].Id
        Push-Location $SandboxRoot
        try {
            $line = 'Get-DbBackup -Repository rep'
            (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be 'repository'
        }
        finally { Pop-Location }
    }

    It 'checks the policy and removes nothing with -WhatIf' {
        $Sandbox | New-DbBackup -Repository $Repository -NoReference -Confirm:$false | Out-Null
        $policy = Test-DbBackupPolicy -Repository $Repository -MaxBackupAge 1h -KeepDaily 1
        $policy.Passed | Should -BeTrue
        @($policy.Retention | Where-Object Expired).Count | Should -Be 1
        Remove-DbBackup $Repository -Expired -KeepDaily 1 -WhatIf
        @(Get-DbBackup $Repository).Count | Should -Be 2
        Remove-DbBackup $Repository -Expired -KeepDaily 1 -Confirm:$false | Out-Null
        @(Get-DbBackup $Repository).Count | Should -Be 1
    }
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

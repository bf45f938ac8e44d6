#Requires -Version 7.6
# Ctrl+C (Stop on a runspace) during each long operation leaves nothing behind.
# Pester 5, on the packaged module; they need the servers the xunit tests need. Run: dotnet pwsh ./build.ps1 -Task Test

BeforeAll {
    . "$PSScriptRoot/Common.ps1" -Name cancellation
}

AfterAll {
    Remove-TestRoot
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
        $sandbox = New-DrSandbox -Standbys 1 -Path $TestRoot -Confirm:$false
        try {
            $verbose = Stop-WhenStarted "Get-DrSandbox -Path '$TestRoot' -Id $($sandbox.Id) | Invoke-DbFailover -Mode Failover -Verbose -Confirm:`$false" $TestRoot { param($ps) (Get-VerboseSoFar $ps) -match 'the promotion|re-pointing|first write' }
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
        $sandbox = New-DrSandbox -Standbys 1 -Path $TestRoot -Confirm:$false
        try {
            $verbose = Stop-WhenStarted "Get-DrSandbox -Path '$TestRoot' -Id $($sandbox.Id) | Test-ReplicationLag -Heartbeat -Duration 120s -Interval 200ms -Verbose" $TestRoot { param($ps) $ps.Streams.Verbose.Count -ge 3 }
            $verbose[0] | Should -BeLike 'Test-ReplicationLag: sample 1 at +*'
            ($sandbox | Get-DbClusterStatus).Healthy | Should -BeTrue
        }
        finally {
            $sandbox | Remove-DrSandbox -Confirm:$false
        }
    }

    It 'during a backup verification: the restored instance is removed' {
        $root = Join-Path ([IO.Path]::GetTempPath()) "drtools-pester-stop-$([guid]::NewGuid().ToString('n'))"
        $sandbox = New-DrSandbox -Standbys 0 -Path $TestRoot -Confirm:$false
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

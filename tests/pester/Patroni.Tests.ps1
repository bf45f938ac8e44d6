#Requires -Version 7.6
# Patroni sandboxes and drills in which Patroni recovers, through the packaged module, with real etcd, Patroni and HAProxy.

BeforeAll {
    $RepositoryRoot = (Resolve-Path "$PSScriptRoot/../..").Path
    $version = (Import-PowerShellDataFile "$RepositoryRoot/module/DrTools.psd1").ModuleVersion
    Import-Module ($env:DRTOOLS_MODULE_MANIFEST ?? "$RepositoryRoot/output/DrTools/$version/DrTools.psd1") -Force
    $Root = Join-Path ([IO.Path]::GetTempPath()) "drtools-pester-patroni-$([guid]::NewGuid().ToString('n'))"
    $Sandbox = New-DrSandbox -Topology Patroni -Members 2 -PatroniSetting 'ttl=10,loop_wait=2,retry_timeout=4' -Path $Root -Confirm:$false

    # A drill that returns once writes are back leaves the old leader still rejoining as Patroni's replica: the next
    # drill needs it running (Patroni refuses a switchover without one), so each drill starts from a healthy cluster.
    function Wait-Healthy {
        $deadline = [DateTime]::UtcNow.AddSeconds(90)
        while (-not ($status = $Sandbox | Get-DbClusterStatus).Healthy) {
            if ([DateTime]::UtcNow -gt $deadline) {
                throw "the sandbox did not become healthy within 90 s: $($status.Verdict); $(Get-PatroniLogTail)"
            }
            Start-Sleep -Milliseconds 200
        }
    }

    # Each node's last Patroni lines: why it did not recover, or did not answer, when CI is all there is to read.
    function Get-PatroniLogTail {
        ($Sandbox.PatroniNodes | ForEach-Object {
            "$($_.Name): " + ((Get-Content (Join-Path $_.ServiceDirectory 'patroni.log') -Tail 12 -ErrorAction Ignore) -join ' | ')
        }) -join '; '
    }
}

AfterAll {
    Remove-DrSandbox -All -Path $Root -Confirm:$false -WarningAction SilentlyContinue
    Remove-Item $Root -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'A Patroni sandbox in PowerShell' {
    It 'is healthy in Patroni''s eyes and PostgreSQL''s, and its status shows both views' {
        $status = $Sandbox | Get-DbClusterStatus
        $status.Healthy | Should -BeTrue -Because $status.Verdict
        $status.HaManager.Leader | Should -BeLike 'node0 (127.0.0.1:*)'
        $status | Format-List | Out-String -Width 120 | Should -Match 'HaManager\s*: Patroni at http://127\.0\.0\.1:\d+/: leader node0'
        $Sandbox.Topology | Should -Be 'Patroni'
        $Sandbox.PatroniSettingValues['ttl'] | Should -Be '10'
    }

    It 'takes -Patroni for a cluster given by connection strings' {
        $strings = $Sandbox.Members | ForEach-Object { $Sandbox.ConnectionString($_) }
        $status = Get-DbClusterStatus -ConnectionString $strings -Patroni ($Sandbox.PatroniNodes | ForEach-Object { $_.RestUrl.ToString() })
        $status.HaManager.Members.Count | Should -Be 2
        { Get-DbClusterStatus -ConnectionString $strings -Patroni 'db1:8008' -ErrorAction Stop } | Should -Throw -ExpectedMessage "Patroni REST API 'db1:8008': write it as http://HOST:PORT*"
    }

    It 'switches over through Patroni with Invoke-DbFailover, measured through HAProxy, -WhatIf first' {
        Wait-Healthy
        $Sandbox | Invoke-DbFailover -Mode Switchover -Candidate node1 -WhatIf
        ($Sandbox | Get-DbClusterStatus).Primary.Name | Should -Be 'node0'
        $result = $Sandbox | Invoke-DbFailover -Mode Switchover -Candidate node1 -RpoSeconds 0 -Confirm:$false
        $result.RecoveredBy | Should -Be 'Patroni'
        $result.NewPrimary | Should -BeLike 'node1 *'
        $result.LostWrites.Measured | Should -Be 0
        $result.WriteUnavailability.Method | Should -BeLike "*through Host=127.0.0.1:$($Sandbox.Patroni.WritePort);*"
        ($result.Figures | Where-Object Name -EQ 'HAProxy switch time') | Should -Not -BeNullOrEmpty
    }

    It 'watches an HA manager it does not know through the endpoint, the action a script block (Patroni standing in)' {
        Wait-Healthy
        $endpoint = "127.0.0.1:$($Sandbox.Patroni.WritePort)"
        $leader = ($Sandbox | Get-DbClusterStatus).Primary.Name
        $other = ($Sandbox.Members | Where-Object Name -NE $leader).Name
        $rest = ($Sandbox.PatroniNodes | Where-Object Name -EQ $leader).RestUrl
        $result = Invoke-DbFailover -ConnectionString $Sandbox.ApplicationConnectionString -AllowDrillOn $endpoint -RecoveredBy External -Mode Switchover -Confirm:$false -FaultScript {
            Invoke-RestMethod -Method Post -Uri "${rest}switchover" -ContentType application/json -Body (@{ leader = $leader; candidate = $other } | ConvertTo-Json)
        }
        $result.RecoveredBy | Should -Be 'External'
        $result.NewPrimary | Should -Be "127.0.0.1:$(($Sandbox.Members | Where-Object Name -EQ $other).Port)"
        $result.Fault | Should -BeLike 'the fault script: Successfully switched over*'
        $timeline = ($result.Timeline | ForEach-Object { '{0}: {1}' -f $_.Name, $_.Detail }) -join '; '
        $result.LostWrites.Measured | Should -Be 0 -Because "lost $($result.LostSequences -join ', '); $timeline"
        { Invoke-DbFailover -ConnectionString $Sandbox.ApplicationConnectionString -AllowDrillOn $endpoint -RecoveredBy External -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ExpectedMessage 'recovered by External: give the one action that fails the writer over or switches it*'
    }

    It 'drills a Patroni cluster given by connection strings and -Patroni, probes through the application''s path' {
        Wait-Healthy
        $strings = $Sandbox.Members | ForEach-Object { $Sandbox.ConnectionString($_) }
        $allowed = $Sandbox.Members | ForEach-Object { "127.0.0.1:$($_.Port)" }
        $leader = ($Sandbox | Get-DbClusterStatus).Primary.Name
        $other = ($Sandbox.Members | Where-Object Name -NE $leader).Name
        $rest = $Sandbox.PatroniNodes | ForEach-Object { $_.RestUrl.ToString() }
        try {
            $result = Invoke-DbFailover -ConnectionString $strings -AllowDrillOn $allowed -Patroni $rest -ProbeConnectionString $Sandbox.ApplicationConnectionString -Mode Switchover -RpoSeconds 0 -Confirm:$false -ErrorAction Stop
        }
        catch {
            # What Patroni logged: a REST API that refused the connection (cc59: another test had killed this Patroni).
            throw "$($_.Exception.Message) Patroni logs: $(Get-PatroniLogTail)"
        }
        $result.RecoveredBy | Should -Be 'Patroni'
        $result.OldPrimary | Should -BeLike "$leader *"
        $result.NewPrimary | Should -BeLike "$other *"
        $result.LostWrites.Measured | Should -Be 0
        { Invoke-DbFailover -ConnectionString $strings -AllowDrillOn $allowed -Patroni $rest -Mode Failover -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ExpectedMessage "KillNode on $other of *: DrTools reaches the processes of a Patroni sandbox's nodes only; give the fault as a command (-FaultCommand / --fault-command)."
    }

    It 'refuses to let DrTools promote behind Patroni''s back, in one line' {
        { $Sandbox | Invoke-DbFailover -RecoveredBy DrTools -Mode Failover -Confirm:$false -ErrorAction Stop } | Should -Throw -ExpectedMessage "sandbox $($Sandbox.Id) is managed by Patroni: DrTools does not promote or rewind its members itself*"
    }

    It 'refuses a Patroni setting it does not know, naming it' {
        { New-DrSandbox -Topology Patroni -PatroniSetting 'ttl=10,loop_wiat=2' -Path $Root -Confirm:$false -ErrorAction Stop } | Should -Throw -ExpectedMessage "Patroni setting 'loop_wiat=2': 'loop_wiat' is not a setting a sandbox takes*"
        # Runs of the other suite may be listed beside it (their scratch folders): the sandbox folder holds this one only.
        @(Get-DrSandbox -Path $Root | Where-Object Kind -EQ 'Cluster').Count | Should -Be 1
    }
}

#Requires -Version 7.6
# MariaDB and Redis through the same cmdlets as PostgreSQL, from PowerShell, on the packaged module: sandboxes, status,
# lag, checksums, failover drills, backups verified by restore, point-in-time recovery, and the refusals.

BeforeAll {
    $RepositoryRoot = (Resolve-Path "$PSScriptRoot/../..").Path
    $version = (Import-PowerShellDataFile "$RepositoryRoot/module/DrTools.psd1").ModuleVersion
    $ModuleManifest = $env:DRTOOLS_MODULE_MANIFEST ?? "$RepositoryRoot/output/DrTools/$version/DrTools.psd1"
    Import-Module $ModuleManifest -Force
    $Root = Join-Path ([IO.Path]::GetTempPath()) "drtools-pester-engines-$([guid]::NewGuid().ToString('n'))"
    $Repository = Join-Path $Root 'repository'
}

AfterAll {
    Remove-DrSandbox -All -Path $Root -Confirm:$false -WarningAction SilentlyContinue
    Remove-Item $Root -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'A MariaDB sandbox through the DrTools cmdlets' {
    BeforeAll {
        $MariaDb = New-DrSandbox -Engine MariaDB -Standbys 2 -Path $Root -Confirm:$false
        $MariaDb | Invoke-DbQuery -Query 'create database shop; create table shop.orders (id int primary key, item varchar(40)); insert into shop.orders select seq, md5(seq) from shop.seq_1_to_5000' -Confirm:$false | Out-Null
    }

    It 'is a healthy GTID cluster that Get-DrSandbox lists as MariaDB' {
        "$MariaDb" | Should -BeLike 'sandbox * (MariaDB: node0 127.0.0.1:*'
        $status = $MariaDb | Get-DbClusterStatus
        $status.Healthy | Should -BeTrue -Because $status.Verdict
        $status.Engine | Should -Be 'mariadb'
        ($status.Members | Where-Object Role -eq 'Standby').WalReceiverStatus | Should -Be @('IO Yes, SQL Yes', 'IO Yes, SQL Yes')
        (Get-DrSandbox -Path $Root | Where-Object Id -eq $MariaDb.Id).Engine | Should -Be 'mariadb'
        # Applications connect as the account read_only stops; DrTools administers as its own.
        $MariaDb.ApplicationUser | Should -Be 'app'
        $MariaDb.AdminUser | Should -Be 'drtools'
    }

    It 'measures lag in GTID transactions and by heartbeat' {
        $lag = $MariaDb | Test-ReplicationLag -Heartbeat -MaxLagTransactions 1000 -MaxLagSeconds 5
        $lag | Should -HaveCount 2
        $lag.LagBytes.Unit | Should -Be @('GTID transactions', 'GTID transactions')
        $lag | ForEach-Object { $_.Met | Should -BeTrue }
        $lag[0].HeartbeatLagSeconds.Measured | Should -BeLessThan 5
    }

    It 'switches over without losing a write, with the checksums unchanged' {
        $before = $MariaDb | Get-DbChecksum
        $before.Tables.Table | Should -Be 'shop.orders'
        $result = $MariaDb | Invoke-DbFailover -Mode Switchover -ProbeRate 25 -Confirm:$false
        $result.Engine | Should -Be 'mariadb'
        $result.LostWrites.Measured | Should -Be 0
        $result.WriteUnavailability.Measured | Should -BeGreaterThan 0
        $result.IntegrityResult | Should -Be 'PASS'
        $result.TopologyAfter.Healthy | Should -BeTrue
        ($MariaDb | Compare-DbChecksum -Reference $before).Passed | Should -BeTrue
    }

    It 'verifies a dump by restoring it, and recovers to a GTID exactly' {
        $backup = $MariaDb | New-DbBackup -Repository $Repository -Kind Dump -Confirm:$false
        $backup.Engine | Should -Be 'mariadb'
        $verified = Test-DbBackup -Repository $Repository -Id $backup.Id
        $verified.Result | Should -Be 'PASS' -Because $verified.Reason
        $marker = $MariaDb | Invoke-DbQuery -Query "create table shop.markers (name varchar(10)); insert into shop.markers values ('kept'); select @@gtid_binlog_pos" -Confirm:$false
        $MariaDb | Invoke-DbQuery -Query "insert into shop.markers values ('later')" -Confirm:$false | Out-Null
        $MariaDb | Enable-DbWalArchive -Repository $Repository -Confirm:$false | Out-Null
        $restore = Restore-PointInTime -Repository $Repository -TargetGtid $marker.Value -RemoveInstance -Confirm:$false `
            -MustExist "select 1 from shop.markers where name = 'kept'" -MustNotExist "select 1 from shop.markers where name = 'later'"
        $restore.Result | Should -Be 'PASS' -Because $restore.Reason
        $restore.ReplayedToLsn | Should -Be $marker.Value
    }

    It 'reads a cluster given by connection strings, and refuses a drill on it unless allowed' {
        $password = (Get-Content (Join-Path $MariaDb.Directory 'sandbox.json') -Raw | ConvertFrom-Json).password
        $credential = [pscredential]::new('drtools', (ConvertTo-SecureString $password -AsPlainText -Force))
        $strings = $MariaDb.Members | ForEach-Object { "Server=127.0.0.1;Port=$($_.Port)" }
        (Get-DbClusterStatus -Engine MariaDB -ConnectionString $strings -Credential $credential).Healthy | Should -BeTrue
        { Invoke-DbFailover -Engine MariaDB -ConnectionString $strings -Credential $credential -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ExpectedMessage 'switchover refused: * is not allowed for drills*'
    }

    It 'refuses what only PostgreSQL does in one line, changing nothing' {
        { $MariaDb | Invoke-DbFailover -Mode Failover -FaultCommand 'true' -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ExpectedMessage '-FaultCommand: for PostgreSQL drills only; sandbox * is a mariadb cluster. Nothing was changed.'
        { $MariaDb | New-DbRestorePoint -Repository $Repository -Name x -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ExpectedMessage '*is a mariadb sandbox; this operation is for PostgreSQL*'
        ($MariaDb | Get-DbClusterStatus).Healthy | Should -BeTrue
    }
}

Describe 'A Redis sandbox with Sentinels through the DrTools cmdlets' {
    BeforeAll {
        $Redis = New-DrSandbox -Engine Redis -Standbys 2 -Sentinels -Path $Root -Confirm:$false
        $Redis | Invoke-DbQuery -Query "EVAL `"for i = 1, 500 do redis.call('SET', 'user:' .. i, i) end return 500`" 0" -Confirm:$false | Out-Null
    }

    It 'fails over by its Sentinels after DrTools kills the primary, and reports the lost writes exactly' {
        $result = $Redis | Invoke-DbFailover -Mode Failover -Rejoin -ProbeRate 50 -SkipIntegrity -Confirm:$false
        $result.RecoveredBy | Should -Be 'Sentinel'
        $result.RecoveryFigures[0].Name | Should -Be 'time to a new primary named by the Sentinels'
        $result.LostWrites.Measured | Should -Be $result.LostSequences.Count
        $result.TopologyAfter.Primary.Name | Should -Not -Be 'node0'
        $result.TopologyAfter.Healthy | Should -BeTrue -Because $result.TopologyAfter.Verdict
    }

    It 'verifies an RDB snapshot by loading it into a new redis-server' {
        $backup = $Redis | New-DbBackup -Repository (Join-Path $Root 'redis-repo') -Kind Rdb -Confirm:$false
        $verified = Test-DbBackup -Repository (Join-Path $Root 'redis-repo') -Id $backup.Id
        $verified.Result | Should -Be 'PASS' -Because $verified.Reason
        ($verified.Integrity.Current.Tables | Where-Object Table -eq 'user:*').Rows | Should -Be 500
    }

    It 'says a MariaDB client reached a Redis port, and a wrong password, without printing it' {
        $port = $Redis.Members[0].Port
        $status = Get-DbClusterStatus -Engine MariaDB -ConnectionString "Server=127.0.0.1;Port=$port;User ID=x;Password=NotThisOne" -ConnectTimeout 2s
        $status.Members[0].Error | Should -BeLike '*does not answer as MariaDB or MySQL*'
        $wrong = Get-DbClusterStatus -Engine Redis -ConnectionString "redis://default:NotThisOne@127.0.0.1:$port"
        $wrong.Members[0].Error | Should -BeLike '*Redis refused the credentials (password not shown)*'
        $wrong.Verdict | Should -Not -BeLike '*NotThisOne*'
    }
}

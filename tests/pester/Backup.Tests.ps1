#Requires -Version 7.6
# Backups, their verification by restore, and point-in-time recovery from PowerShell.
# Pester 5, on the packaged module; they need the servers the xunit tests need. Run: dotnet pwsh ./build.ps1 -Task Test

BeforeAll {
    . "$PSScriptRoot/Common.ps1" -Name backup
}

AfterAll {
    Remove-TestRoot
}

Describe 'Backups, verification by restore, point-in-time recovery' {
    BeforeAll {
        $Sandbox = New-DrSandbox -Standbys 1 -Path $TestRoot -Confirm:$false
        $Repository = Join-Path $TestRoot 'repository'
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
        Push-Location $TestRoot
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

@{
    RootModule           = 'DrTools.PowerShell.dll'
    ModuleVersion        = '0.1.0'
    CompatiblePSEditions = @('Core')
    GUID                 = '4f0c7a3e-5d2b-4b8e-9a61-2c7d3e8f1b90'
    Author               = 'DrTools contributors'
    CompanyName          = 'DrTools'
    Copyright            = '(c) DrTools contributors. All rights reserved.'
    Description          = 'Disaster-recovery and failover testing for PostgreSQL, MariaDB and Redis (Patroni, Sentinel) on Linux: sandboxes, cluster status, replication lag, faults, failover drills with client-measured RTO/RPO, backup verification by restore, point-in-time recovery, runbooks and signed-off reports.'
    PowerShellVersion    = '7.6'
    # Nothing to install beside it: Pester is optional (DrTools.Pester.psm1 registers its assertion when Pester is loaded).
    RequiredModules      = @()
    FormatsToProcess     = @('DrTools.Format.ps1xml')
    # Should -MeetObjective for Pester tests of drills (registered when Pester is loaded).
    NestedModules        = @('DrTools.Pester.psm1')
    CmdletsToExport      = @(
        'Approve-DrReport'
        'Compare-DbChecksum'
        'Complete-DrRun'
        'Enable-DbWalArchive'
        'Export-DrReport'
        'Get-DbBackup'
        'Get-DbChecksum'
        'Get-DbClusterStatus'
        'Get-DrDrillHistory'
        'Get-DrFault'
        'Get-DrMetric'
        'Get-DrSandbox'
        'Get-DrWorkloadStatus'
        'Invoke-DbFailover'
        'Invoke-DbQuery'
        'Invoke-DrNodeDrain'
        'Invoke-DrNodeLoss'
        'Invoke-DrPodRecovery'
        'Invoke-DrRunbook'
        'Invoke-DrStep'
        'New-DbBackup'
        'New-DbRestorePoint'
        'New-DrSandbox'
        'Remove-DbBackup'
        'Register-DrCleanup'
        'Remove-DrSandbox'
        'Restore-PointInTime'
        'Start-DrFault'
        'Start-DrRun'
        'Stop-DrFault'
        'Test-DbBackup'
        'Test-DbBackupPolicy'
        'Test-DrAlertRule'
        'Test-DrFault'
        'Test-ReplicationLag'
        'Wait-DrAlert'
    )
    FunctionsToExport    = @()
    AliasesToExport      = @()
    VariablesToExport    = @()
    PrivateData          = @{
        PSData = @{
            Tags         = @('DisasterRecovery', 'DR', 'Failover', 'PostgreSQL', 'MariaDB', 'Redis', 'Patroni', 'Kubernetes', 'RTO', 'RPO', 'Backup', 'Linux', 'PSEdition_Core')
            ReleaseNotes = 'First release: sandboxes, status, lag, faults, failover and switchover drills, backups verified by restore, point-in-time recovery, runbooks and reports for PostgreSQL, MariaDB and Redis. Installed with Install-PSResource DrTools; the drtools command with dotnet tool install DrTools.Cli.'
        }
    }
}

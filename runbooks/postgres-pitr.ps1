#Requires -Version 7.6
<#
.SYNOPSIS
    Point-in-time recovery drill, as a PowerShell script: the same drill as postgres-pitr.yml, with the same journal,
    objectives and reports.
.DESCRIPTION
    1000 rows, a restore point, 500 marker rows, then a restore to the restore point into a new isolated instance: all
    1000 rows present, no marker row. RPO here is how long before the restore point the last replayed commit was (an
    upper bound of the data given up by recovering to that point). Returns the run's journal; the reports are in its
    folder of the drill history.
.EXAMPLE
    ./postgres-pitr.ps1 | Export-DrReport -Format Html -Path ./pitr.html
#>
[CmdletBinding()]
param(
    # Drill history folder (default DRTOOLS_HISTORY or ~/.local/share/drtools/history).
    [string] $HistoryPath
)

$ErrorActionPreference = 'Stop'
# The module this script ships in (runbooks/ is in the module's folder), else the one installed: no Import-Module first.
if (-not (Get-Module DrTools)) {
    $shipped = Join-Path $PSScriptRoot '../DrTools.psd1'
    Import-Module $(if (Test-Path $shipped) { $shipped } else { 'DrTools' })
}
$history = if ($HistoryPath) { @{ HistoryPath = $HistoryPath } } else { @{} }

# The run owns the sandbox from here: Complete-DrRun removes it even if no cleanup step does.
$db = New-DrSandbox -Standbys 0
$run = Start-DrRun 'PostgreSQL point-in-time recovery drill' -TestType 'Point-in-time recovery test' -Rto 120s -Rpo 5s -Target @{ db = $db } @history
try {
    Register-DrCleanup $run 'Remove sandbox' { $db | Remove-DrSandbox -Confirm:$false }
    $repository = Join-Path $run.Directory 'repository'

    Invoke-DrStep $run 'Cluster healthy' -PreCheck { $db | Get-DbClusterStatus } | Out-Null

    Invoke-DrStep $run 'Archive WAL into the repository' { $db | Enable-DbWalArchive -Repository $repository } | Out-Null
    Invoke-DrStep $run 'Create table' {
        $db | Invoke-DbQuery -Confirm:$false -Query 'create table pitr_orders (id int primary key, marker boolean not null default false, placed_at timestamptz not null default clock_timestamp())'
    } | Out-Null
    Invoke-DrStep $run 'Base backup' { $db | New-DbBackup -Repository $repository } | Out-Null
    Invoke-DrStep $run 'Insert 1000 rows' { $db | Invoke-DbQuery -Confirm:$false -Query 'insert into pitr_orders (id) select generate_series(1, 1000)' } | Out-Null
    $point = Invoke-DrStep $run 'Restore point' { $db | New-DbRestorePoint -Repository $repository -Name "before-markers-$($run.Id)" }
    Invoke-DrStep $run 'Insert 500 marker rows' { $db | Invoke-DbQuery -Confirm:$false -Query 'insert into pitr_orders (id, marker) select generate_series(1001, 1500), true' } | Out-Null
    Invoke-DrStep $run 'Restore to the restore point' -Objective rto, rpo -Timeout 10m {
        Restore-PointInTime -Repository $repository -RestorePoint $point.Name -RemoveInstance -Confirm:$false `
            -MustExist 'select 1 from pitr_orders having count(*) = 1000 and max(id) = 1000' `
            -MustNotExist 'select 1 from pitr_orders where marker'
    } | Out-Null
}
finally {
    $run | Complete-DrRun
}

#Requires -Version 7.6
<#
.SYNOPSIS
    Aurora / RDS Multi-AZ failover drill: AWS fails the writer over, DrTools measures what clients saw through the
    cluster endpoint. NOT TESTED by DrTools' CI: it needs an AWS account and a cluster you may fail over.
.DESCRIPTION
    The documented form of an external-HA drill (-RecoveredBy External). AWS's failover is the action — AWS.Tools.RDS'
    Start-RDSDBClusterFailover, or with -UseAwsCli the `aws rds failover-db-cluster` command — and DrTools watches the
    writer through the cluster endpoint (inet_server_addr of the server that answers the probe writes): write
    unavailability, acknowledged writes lost, the new writer, integrity by checksums. The same code path is tested here
    with Patroni standing in for the unknown HA manager. The probe table drtools_probe is created in the database you
    connect to; drop it afterwards if you wish.
.EXAMPLE
    ./rds-failover.ps1 -ClusterIdentifier prod-aurora -Endpoint prod-aurora.cluster-abc.eu-west-1.rds.amazonaws.com -Credential (Get-Credential)
#>
[CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'High')]
param(
    # The Aurora or Multi-AZ DB cluster to fail over.
    [Parameter(Mandatory)] [string] $ClusterIdentifier,
    # The cluster (writer) endpoint the application uses.
    [Parameter(Mandatory)] [string] $Endpoint,
    [int] $Port = 5432,
    [string] $Database = 'postgres',
    [Parameter(Mandatory)] [pscredential] $Credential,
    # The reader instance to promote; default AWS's choice.
    [string] $TargetInstance,
    # Use the aws CLI instead of AWS.Tools.RDS.
    [switch] $UseAwsCli,
    [TimeSpan] $Rto = [TimeSpan]::FromMinutes(2),
    [TimeSpan] $Rpo = [TimeSpan]::Zero,
    [string] $HistoryPath
)

$ErrorActionPreference = 'Stop'
# The module this script ships in (runbooks/ is in the module's folder), else the one installed: no Import-Module first.
if (-not (Get-Module DrTools)) {
    $shipped = Join-Path $PSScriptRoot '../DrTools.psd1'
    Import-Module $(if (Test-Path $shipped) { $shipped } else { 'DrTools' })
}
if (-not $UseAwsCli -and -not (Get-Command Start-RDSDBClusterFailover -ErrorAction SilentlyContinue)) {
    throw 'Start-RDSDBClusterFailover was not found: Install-Module AWS.Tools.RDS, or pass -UseAwsCli to use the aws command.'
}
$connection = "Host=$Endpoint;Port=$Port;Database=$Database;SSL Mode=Require"
$history = if ($HistoryPath) { @{ HistoryPath = $HistoryPath } } else { @{} }
$failover = if ($UseAwsCli) {
    @{ FaultCommand = "aws rds failover-db-cluster --db-cluster-identifier '$ClusterIdentifier'$(if ($TargetInstance) { " --target-db-instance-identifier '$TargetInstance'" })" }
}
else {
    $awsArguments = @{ DBClusterIdentifier = $ClusterIdentifier }
    if ($TargetInstance) { $awsArguments.TargetDBInstanceIdentifier = $TargetInstance }
    @{ FaultScript = { Start-RDSDBClusterFailover @awsArguments | Out-Null; "Start-RDSDBClusterFailover $ClusterIdentifier" }.GetNewClosure() }
}
if (-not $PSCmdlet.ShouldProcess("$ClusterIdentifier ($Endpoint)", 'Fail the writer over (AWS RDS) and measure it')) { return }

$run = Start-DrRun 'Aurora failover drill' -TestType 'Database failover test (AWS RDS)' -Rto $Rto -Rpo $Rpo -Target @{ db = $connection } @history
try {
    Invoke-DrStep $run 'Writer reachable' -PreCheck { Get-DbClusterStatus -ConnectionString $connection -Credential $Credential } | Out-Null
    $before = Invoke-DrStep $run 'Record counts and checksums' { Get-DbChecksum -ConnectionString $connection -Credential $Credential }
    Invoke-DrStep $run 'AWS fails the writer over' -Objective rto, rpo -Timeout 15m {
        Invoke-DbFailover -ConnectionString $connection -Credential $Credential -AllowDrillOn "${Endpoint}:$Port" -RecoveredBy External `
            -Mode Failover -PhaseTimeout 10m -Rto $Rto -Rpo $Rpo @failover -Confirm:$false
    } | Out-Null
    Invoke-DrStep $run 'Verify data integrity' { Compare-DbChecksum -ConnectionString $connection -Credential $Credential -Reference $before } | Out-Null
}
finally {
    $run | Complete-DrRun
}

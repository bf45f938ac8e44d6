#Requires -Version 7.6
# Runs one Pester file in a process of its own, as build.ps1 -Task Test runs the help examples beside the other Pester
# files: Detailed output, each test's and the file's time to a JSON file for the run's closing summary, and an exit code
# that is 0 only when every test passed.
param(
    [Parameter(Mandatory)] [string] $Path,
    [Parameter(Mandatory)] [string] $TimesFile
)
$ErrorActionPreference = 'Stop'
Import-Module Pester -MinimumVersion 5.0
$configuration = New-PesterConfiguration
$configuration.Run.Path = $Path
$configuration.Run.PassThru = $true
$configuration.Output.Verbosity = 'Detailed'
$result = Invoke-Pester -Configuration $configuration
[pscustomobject]@{
    Tests = @($result.Tests | ForEach-Object { [pscustomobject]@{ Seconds = $_.Duration.TotalSeconds; Name = $_.ExpandedPath } })
    Files = @($result.Containers | ForEach-Object { [pscustomobject]@{ Seconds = $_.Duration.TotalSeconds; Name = Split-Path -Leaf $_.Item } })
} | ConvertTo-Json -Depth 4 | Set-Content $TimesFile
exit $(if ($result.Result -eq 'Passed' -and $result.FailedCount -eq 0 -and $result.FailedContainersCount -eq 0) { 0 } else { 1 })

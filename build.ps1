#Requires -Version 7.6
<#
.SYNOPSIS
    Builds, tests and packages DrTools.
.DESCRIPTION
    Build    compiles the solution.
    Package  lays out the loadable module in output/DrTools/<version>/ (version from module/DrTools.psd1), with its
             MAML help generated from src/DrTools.PowerShell/Help/ and the shipped runbooks.
    Test     runs the xunit suites (real PostgreSQL), packages the module, and runs the Pester tests in tests/pester against it.
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Test', 'Package')]
    [string] $Task = 'Build',

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release'
)

$ErrorActionPreference = 'Stop'
$root = $PSScriptRoot
$version = (Import-PowerShellDataFile "$root/module/DrTools.psd1").ModuleVersion

function Invoke-Dotnet {
    dotnet @args
    if ($LASTEXITCODE -ne 0) { throw "dotnet $($args -join ' ') failed with exit code $LASTEXITCODE" }
}

function Invoke-Package {
    Invoke-Dotnet publish "$root/src/DrTools.PowerShell" -c $Configuration
    $module = "$root/output/DrTools/$version"
    # MAML help from the help source beside the cmdlets and their compiled metadata, in a process of its own.
    & (Join-Path $PSHOME 'pwsh') -NoProfile -NonInteractive -File "$root/src/DrTools.PowerShell/Help/New-MamlHelp.ps1" -ModuleManifest "$module/DrTools.psd1" | Out-Null
    if ($LASTEXITCODE -ne 0) { throw "help generation failed with exit code $LASTEXITCODE" }
    $module
}

switch ($Task) {
    'Build' { Invoke-Dotnet build "$root/DrTools.sln" -c $Configuration }
    'Package' { Invoke-Package }
    'Test' {
        Invoke-Dotnet test "$root/DrTools.sln" -c $Configuration
        $module = Invoke-Package | Select-Object -Last 1
        Import-Module Pester -MinimumVersion 5.0 -ErrorAction Stop
        $env:DRTOOLS_MODULE_MANIFEST = "$module/DrTools.psd1"
        $pester = New-PesterConfiguration
        # The module's own tests, and the documented example of a drill as a Pester test (so it stays true).
        $pester.Run.Path = "$root/tests/pester", "$root/tests/examples"
        $pester.Run.PassThru = $true
        $pester.Output.Verbosity = 'Detailed'
        $result = Invoke-Pester -Configuration $pester
        # A file that fails discovery is a failed container, not a failed test: it fails the run too.
        if ($result.FailedCount -gt 0 -or $result.FailedContainersCount -gt 0 -or $result.Result -ne 'Passed') {
            throw "Pester: $($result.FailedCount) test(s) and $($result.FailedContainersCount) file(s) failed"
        }
    }
}

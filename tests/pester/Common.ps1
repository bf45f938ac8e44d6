# Dot-sourced by each Pester file's BeforeAll: imports the packaged module (./build.ps1 -Task Package puts it in
# output/DrTools/<version>/; DRTOOLS_MODULE_MANIFEST names another) and sets $RepositoryRoot, $ModuleManifest and a
# fresh folder $TestRoot for what the file makes (Remove-TestRoot in AfterAll removes it, sandboxes first).
param([Parameter(Mandatory)] [string] $Name)

$RepositoryRoot = (Resolve-Path "$PSScriptRoot/../..").Path
$version = (Import-PowerShellDataFile "$RepositoryRoot/module/DrTools.psd1").ModuleVersion
$ModuleManifest = $env:DRTOOLS_MODULE_MANIFEST ?? "$RepositoryRoot/output/DrTools/$version/DrTools.psd1"
if (-not (Test-Path $ModuleManifest)) { throw "The packaged module is not at ${ModuleManifest}: run ./build.ps1 -Task Package first." }
Import-Module $ModuleManifest -Force
$TestRoot = Join-Path ([IO.Path]::GetTempPath()) "drtools-pester-$Name-$([guid]::NewGuid().ToString('n'))"

function Remove-TestRoot {
    if (Test-Path $TestRoot) {
        Remove-DrSandbox -All -Path $TestRoot -Confirm:$false
        Remove-Item $TestRoot -Recurse -Force -ErrorAction SilentlyContinue
    }
    Remove-Module DrTools -ErrorAction SilentlyContinue
}

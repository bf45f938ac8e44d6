#Requires -Version 7.6
<#
.SYNOPSIS
    Writes the module's MAML help (en-US/DrTools.PowerShell.dll-Help.xml) from the help source beside the code.
.DESCRIPTION
    One Markdown file per cmdlet in this folder gives the synopsis, description, examples and the text of each parameter
    the cmdlet declares (## PARAMETERS, ### -Name); a parameter declared by a base class is described once, in the file
    named after that class. Everything else comes from the compiled cmdlets themselves: parameter sets (-WhatIf and
    -Confirm where a cmdlet supports them), types, positions, pipeline input, default values, the values a ValidateSet
    accepts, and output types; the related links are the other cmdlets the help source names. Run in its own process
    against the packaged module (build.ps1 does).
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $ModuleManifest,
    [string] $Source = $PSScriptRoot
)

$ErrorActionPreference = 'Stop'
$module = Import-Module $ModuleManifest -PassThru
$destination = Join-Path (Split-Path $ModuleManifest) 'en-US/DrTools.PowerShell.dll-Help.xml'
# -WhatIf and -Confirm are shown (every destructive cmdlet's examples use -Confirm:$false); -Verbose and the like are not.
$common = [System.Management.Automation.PSCmdlet]::CommonParameters
$shouldProcessHelp = @{
    WhatIf = 'Shows what the cmdlet would do, reading but changing nothing.'
    Confirm = 'Asks before each change; -Confirm:$false runs without asking (scripts, CI).'
}

function Format-Default($Command, $Parameter, $Defaults) {
    # The value a parameter has when it is not given: what the compiled cmdlet is initialized with.
    if (($Command.ParameterSets.Parameters | Where-Object Name -EQ $Parameter.Name).IsMandatory -notcontains $false) { return 'None' }
    if ($Parameter.SwitchParameter) { return 'False' }
    $value = $Defaults.($Parameter.Name)
    if ($value -is [timespan]) {
        return $(if ($value.TotalSeconds -lt 1) { "$($value.TotalMilliseconds)ms" } else { "$($value.TotalSeconds)s" })
    }
    if ($value -is [System.Collections.IEnumerable] -and $value -isnot [string]) { $value = @($value) -join ', ' }
    if ("$value" -eq '') { 'None' } else { "$value" }
}

function Read-HelpSource([string] $Path) {
    # "## SECTION" headings; under EXAMPLES, "### title", a ```powershell block, then remarks.
    # Under PARAMETERS, "### -Name" and its paragraphs.
    $help = @{ Synopsis = ''; Description = @(); Examples = @(); Parameters = [ordered]@{} }
    $section = $null; $example = $null; $parameter = $null; $inCode = $false
    $paragraph = [System.Collections.Generic.List[string]]::new()
    $flush = {
        if ($paragraph.Count -eq 0) { return }
        $text = ($paragraph -join ' ').Trim()
        $paragraph.Clear()
        switch ($section) {
            'SYNOPSIS' { $help.Synopsis = $text }
            'DESCRIPTION' { $help.Description += $text }
            'EXAMPLES' { if ($example) { $example.Remarks += $text } }
            'PARAMETERS' { if ($parameter) { $help.Parameters[$parameter] += @($text) } }
        }
    }
    foreach ($line in Get-Content $Path) {
        if ($inCode) {
            if ($line -match '^```') { $inCode = $false } else { $example.Code += $line }
            continue
        }
        switch -Regex ($line) {
            '^## (.+)$' { & $flush; $section = $Matches[1].Trim(); continue }
            '^### -(\w+)\s*$' {
                if ($section -ne 'PARAMETERS') { throw "${Path}: ### -$($Matches[1]) outside ## PARAMETERS" }
                & $flush; $parameter = $Matches[1]; $help.Parameters[$parameter] = @(); continue
            }
            '^### (.+)$' { & $flush; $example = @{ Title = $Matches[1].Trim(); Code = @(); Remarks = @() }; $help.Examples += $example; continue }
            '^```' { & $flush; $inCode = $true; continue }
            '^\s*$' { & $flush; continue }
            default { $paragraph.Add($line.Trim()) }
        }
    }
    & $flush
    foreach ($name in $help.Parameters.Keys) { if (-not $help.Parameters[$name]) { throw "${Path}: ### -$name has no text" } }
    $help
}

function Read-CmdletHelpSource([string] $Path) {
    $help = Read-HelpSource $Path
    if (-not $help.Synopsis) { throw "${Path}: no ## SYNOPSIS" }
    if ($help.Examples.Count -lt 2) { throw "${Path}: at least two examples are needed, found $($help.Examples.Count)" }
    $help
}

# The help source of each class that declares parameters: a cmdlet's own file, or the file named after a base class.
$sources = @{}
function Get-ParameterHelp($Command, $Parameter, $CommandHelp) {
    $declaring = $Command.ImplementingType.GetProperty($Parameter.Name).DeclaringType
    $help = if ($declaring -eq $Command.ImplementingType) { $CommandHelp } else {
        $file = Join-Path $Source "$($declaring.Name).md"
        if (-not (Test-Path $file)) { throw "no help source for the parameters of $($declaring.Name): $file" }
        $sources[$file] ??= Read-HelpSource $file
        $sources[$file]
    }
    $text = $help.Parameters[$Parameter.Name]
    if (-not $text) { throw "no help for $($Command.Name) -$($Parameter.Name): ### -$($Parameter.Name) in $($declaring.Name)'s help source" }
    $accepted = @($Parameter.Attributes | Where-Object { $_ -is [System.Management.Automation.ValidateSetAttribute] })
    @($text) + @($accepted | ForEach-Object { "Accepted values: $($_.ValidValues -join ', ')." })
}

$settings = [System.Xml.XmlWriterSettings]@{ Indent = $true; Encoding = [System.Text.UTF8Encoding]::new($false) }
$null = New-Item -ItemType Directory -Force (Split-Path $destination)
$writer = [System.Xml.XmlWriter]::Create($destination, $settings)
$maml = 'http://schemas.microsoft.com/maml/2004/10'
$commandNs = 'http://schemas.microsoft.com/maml/dev/command/2004/10'
$dev = 'http://schemas.microsoft.com/maml/dev/2004/10'
function Write-Paragraphs([string[]] $Paragraphs) {
    $writer.WriteStartElement('maml', 'description', $maml)
    foreach ($p in $Paragraphs) { $writer.WriteElementString('maml', 'para', $maml, $p) }
    $writer.WriteEndElement()
}
function Write-Parameter($Parameter, $SetMetadata, [string[]] $Help, [switch] $InSyntax, [string] $Default) {
    $position = if ($SetMetadata.Position -ge 0) { "$($SetMetadata.Position)" } else { 'named' }
    $pipeline = @(if ($SetMetadata.ValueFromPipeline) { 'ByValue' }; if ($SetMetadata.ValueFromPipelineByPropertyName) { 'ByPropertyName' })
    $writer.WriteStartElement('command', 'parameter', $commandNs)
    $writer.WriteAttributeString('required', "$($SetMetadata.IsMandatory)".ToLowerInvariant())
    $writer.WriteAttributeString('position', $position)
    $writer.WriteAttributeString('pipelineInput', $(if ($pipeline) { "True ($($pipeline -join ', '))" } else { 'False' }))
    $writer.WriteAttributeString('globbing', 'false')
    $writer.WriteElementString('maml', 'name', $maml, $Parameter.Name)
    Write-Paragraphs $Help
    $type = [Nullable]::GetUnderlyingType($Parameter.ParameterType) ?? $Parameter.ParameterType
    # A switch takes no value: the syntax shows it bare, [-Rejoin].
    if (-not ($InSyntax -and $Parameter.SwitchParameter)) {
        $writer.WriteStartElement('command', 'parameterValue', $commandNs)
        $writer.WriteAttributeString('required', "$(-not $Parameter.SwitchParameter)".ToLowerInvariant())
        $writer.WriteString($type.Name)
        $writer.WriteEndElement()
    }
    $writer.WriteStartElement('dev', 'type', $dev)
    $writer.WriteElementString('maml', 'name', $maml, $type.FullName)
    $writer.WriteEndElement()
    if ($Default) { $writer.WriteElementString('dev', 'defaultValue', $dev, $Default) }
    $writer.WriteEndElement()
}

$writer.WriteStartDocument()
$writer.WriteStartElement('helpItems', 'http://msh')
$writer.WriteAttributeString('schema', 'maml')
foreach ($command in Get-Command -Module $module.Name -CommandType Cmdlet | Sort-Object Name) {
    $file = Join-Path $Source "$($command.Name).md"
    if (-not (Test-Path $file)) { throw "no help source for $($command.Name): $file" }
    $help = Read-CmdletHelpSource $file
    $parameters = @($command.Parameters.Values | Where-Object Name -NotIn $common)
    $declared = @($parameters | Where-Object { $command.ImplementingType.GetProperty($_.Name).DeclaringType -eq $command.ImplementingType })
    $unknown = @($help.Parameters.Keys | Where-Object { $_ -notin $declared.Name })
    if ($unknown) { throw "${file}: no parameter $($unknown -join ', ') declared by $($command.Name)" }
    $parameterHelp = @{}
    foreach ($parameter in $parameters) {
        $parameterHelp[$parameter.Name] = $shouldProcessHelp[$parameter.Name] ?? (Get-ParameterHelp $command $parameter $help)
    }
    $writer.WriteStartElement('command', 'command', $commandNs)
    $writer.WriteAttributeString('xmlns', 'maml', $null, $maml)
    $writer.WriteAttributeString('xmlns', 'dev', $null, $dev)
    $writer.WriteStartElement('command', 'details', $commandNs)
    $writer.WriteElementString('command', 'name', $commandNs, $command.Name)
    $writer.WriteElementString('command', 'verb', $commandNs, $command.Verb)
    $writer.WriteElementString('command', 'noun', $commandNs, $command.Noun)
    Write-Paragraphs @($help.Synopsis)
    $writer.WriteEndElement()
    Write-Paragraphs $help.Description

    $writer.WriteStartElement('command', 'syntax', $commandNs)
    foreach ($set in $command.ParameterSets) {
        $writer.WriteStartElement('command', 'syntaxItem', $commandNs)
        $writer.WriteElementString('maml', 'name', $maml, $command.Name)
        foreach ($p in $set.Parameters | Where-Object Name -NotIn $common) {
            Write-Parameter $command.Parameters[$p.Name] $p $parameterHelp[$p.Name] -InSyntax
        }
        $writer.WriteEndElement()
    }
    $writer.WriteEndElement()

    $writer.WriteStartElement('command', 'parameters', $commandNs)
    $defaults = [Activator]::CreateInstance($command.ImplementingType)
    foreach ($parameter in $parameters) {
        $metadata = $command.ParameterSets.Parameters | Where-Object Name -EQ $parameter.Name | Select-Object -First 1
        Write-Parameter $parameter $metadata $parameterHelp[$parameter.Name] -Default (Format-Default $command $parameter $defaults)
    }
    $defaults.Dispose()
    $writer.WriteEndElement()

    $writer.WriteStartElement('command', 'inputTypes', $commandNs)
    $inputs = $command.ParameterSets.Parameters | Where-Object { $_.ValueFromPipeline } | ForEach-Object { $_.ParameterType.FullName } | Sort-Object -Unique
    foreach ($type in @($inputs)) {
        $writer.WriteStartElement('command', 'inputType', $commandNs)
        $writer.WriteStartElement('dev', 'type', $dev); $writer.WriteElementString('maml', 'name', $maml, $type); $writer.WriteEndElement()
        $writer.WriteEndElement()
    }
    $writer.WriteEndElement()
    $writer.WriteStartElement('command', 'returnValues', $commandNs)
    foreach ($type in $command.OutputType.Name | Sort-Object -Unique) {
        $writer.WriteStartElement('command', 'returnValue', $commandNs)
        $writer.WriteStartElement('dev', 'type', $dev); $writer.WriteElementString('maml', 'name', $maml, $type); $writer.WriteEndElement()
        $writer.WriteEndElement()
    }
    $writer.WriteEndElement()

    $writer.WriteStartElement('command', 'examples', $commandNs)
    $number = 0
    foreach ($example in $help.Examples) {
        $number++
        $writer.WriteStartElement('command', 'example', $commandNs)
        $writer.WriteElementString('maml', 'title', $maml, "-------------------------- Example ${number}: $($example.Title) --------------------------")
        $writer.WriteElementString('dev', 'code', $dev, ($example.Code -join "`n"))
        $writer.WriteStartElement('dev', 'remarks', $dev)
        foreach ($p in $example.Remarks) { $writer.WriteElementString('maml', 'para', $maml, $p) }
        $writer.WriteEndElement()
        $writer.WriteEndElement()
    }
    $writer.WriteEndElement()

    # Related links: the other cmdlets of the module the help source names, then the module's about topic.
    $named = [regex]::Matches((Get-Content $file -Raw), '\b[A-Z][a-z]+-D[rb][A-Za-z]+\b').Value | Select-Object -Unique
    $related = @($named | Where-Object { $_ -ne $command.Name -and $_ -in $module.ExportedCmdlets.Keys } | Sort-Object) + 'about_DrTools'
    $writer.WriteStartElement('maml', 'relatedLinks', $maml)
    foreach ($link in $related) {
        $writer.WriteStartElement('maml', 'navigationLink', $maml)
        $writer.WriteElementString('maml', 'linkText', $maml, $link)
        $writer.WriteElementString('maml', 'uri', $maml, '')
        $writer.WriteEndElement()
    }
    $writer.WriteEndElement()
    $writer.WriteEndElement()
}
$writer.WriteEndElement()
$writer.WriteEndDocument()
$writer.Dispose()
$destination

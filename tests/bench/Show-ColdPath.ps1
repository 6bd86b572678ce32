#Requires -Version 7.4
<#
.SYNOPSIS
    The source files one cold Invoke-AuthenticatedRequest passes through, in the order it first enters them.
.DESCRIPTION
    A newcomer's walk, measured rather than guessed: a fresh session imports the built module, then makes one
    Invoke-AuthenticatedRequest (Ankorstore, -Credential, no vault) to the emulator. Every TokenAuth method the JIT
    compiles during that call is read from the runtime's own events and mapped to its file through the build's portable
    PDBs (a compiler-generated method with no lines of its own counts for its outer type's file). Output: one object a
    file, in first-entry order, with the methods compiled there; then how many times the walk enters each folder.
    Needs a Debug build (dotnet build TokenAuth.sln): the PDBs are read from src/TokenAuth.PowerShell/bin/Debug/net8.0.
.EXAMPLE
    pwsh tests/bench/Show-ColdPath.ps1
#>
[Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSAvoidUsingConvertToSecureStringWithPlainText', '', Justification = 'The emulator''s published demo credential, for a measurement on loopback.')]
[CmdletBinding()]
param ()

$ErrorActionPreference = 'Stop'
$root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
$bin = Join-Path $root 'src/TokenAuth.PowerShell/bin/Debug/net8.0'
Import-Module (Join-Path $root 'tests/pester/TokenAuth.TestSupport.psm1') -Force
Import-Module (Join-Path $root 'out/TokenAuth/TokenAuth.psd1')

Add-Type -TypeDefinition @'
using System.Collections.Concurrent;
using System.Diagnostics.Tracing;
public sealed class ColdPathJitListener : EventListener
{
    public readonly ConcurrentQueue<string> Methods = new ConcurrentQueue<string>();
    public volatile bool Recording;
    protected override void OnEventSourceCreated(EventSource source)
    {
        if (source.Name == "Microsoft-Windows-DotNETRuntime") EnableEvents(source, EventLevel.Verbose, (EventKeywords)0x10);
    }
    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        if (!Recording || e.EventName != "MethodJittingStarted_V1") return;
        var type = (string)e.Payload[e.PayloadNames.IndexOf("MethodNamespace")];
        if (type.StartsWith("TokenAuth.")) Methods.Enqueue(type + "|" + e.Payload[e.PayloadNames.IndexOf("MethodToken")]);
    }
}
'@

# Each assembly's methods (by token) and types (by outer type's name) to the file they are written in.
$fileOfMethod = @{}
$fileOfType = @{}
foreach ($assembly in 'TokenAuth.Engine', 'TokenAuth.PowerShell') {
    $pdb = [System.Reflection.Metadata.MetadataReaderProvider]::FromPortablePdbStream([IO.File]::OpenRead((Join-Path $bin "$assembly.pdb"))).GetMetadataReader()
    foreach ($handle in $pdb.MethodDebugInformation) {
        $information = $pdb.GetMethodDebugInformation($handle)
        if ($information.Document.IsNil) { continue }
        $row = [System.Reflection.Metadata.Ecma335.MetadataTokens]::GetRowNumber([System.Reflection.Metadata.MethodDefinitionHandle] $handle.ToDefinitionHandle())
        $fileOfMethod["$assembly|$(0x06000000 + $row)"] = $pdb.GetString($pdb.GetDocument($information.Document).Name) -replace '^.*[\\/]src[\\/]', ''
    }
    $pe = [System.Reflection.PortableExecutable.PEReader]::new([IO.File]::OpenRead((Join-Path $bin "$assembly.dll")))
    $metadata = [System.Reflection.Metadata.PEReaderExtensions]::GetMetadataReader($pe)
    foreach ($typeHandle in $metadata.TypeDefinitions) {
        $type = $metadata.GetTypeDefinition($typeHandle)
        if (-not $type.GetDeclaringType().IsNil) { continue }
        $name = $metadata.GetString($type.Namespace) + '.' + ($metadata.GetString($type.Name) -replace '`.*$', '')
        foreach ($method in $type.GetMethods()) {
            $file = $fileOfMethod["$assembly|$(0x06000000 + [System.Reflection.Metadata.Ecma335.MetadataTokens]::GetRowNumber($method))"]
            if ($file) { $fileOfType[$name] = @{ Assembly = $assembly; File = $file }; break }
        }
    }
}

$emulator = Start-TokenAuthEmulator
try {
    $base = Get-TokenAuthEmulatorBaseUri -Emulator $emulator -Provider Ankorstore
    $credential = [pscredential]::new('demo-ankorstore-client', (ConvertTo-SecureString 'demo-ankorstore-secret-3q9z' -AsPlainText -Force))
    $listener = [ColdPathJitListener]::new()
    Start-Sleep -Milliseconds 300
    $listener.Recording = $true
    $null = Invoke-AuthenticatedRequest -Provider Ankorstore -BaseUri $base -Credential $credential -Uri 'resources/echo'
    Start-Sleep -Milliseconds 300
    $listener.Recording = $false
}
finally { Stop-TokenAuthEmulator -Emulator $emulator }

$walk = [ordered]@{}
foreach ($entry in $listener.Methods) {
    $typeName, $token = $entry -split '\|'
    $outer = $fileOfType[($typeName -split '\+')[0] -replace '`.*$', '']
    $file = if (-not $outer) { "($typeName)" } elseif ($fileOfMethod["$($outer.Assembly)|$token"]) { $fileOfMethod["$($outer.Assembly)|$token"] } else { $outer.File }
    $walk[$file] = 1 + $walk[$file]
}
$walk.GetEnumerator() | ForEach-Object { [pscustomobject]@{ File = $_.Key; Methods = $_.Value } }

# How many times the walk enters each folder: a layered design enters each once, on the way down.
$entries = @{}
$previous = $null
foreach ($file in $walk.Keys) {
    $folder = Split-Path $file -Parent
    if ($folder -ne $previous) { $entries[$folder] = 1 + $entries[$folder] }
    $previous = $folder
}
Write-Information ("{0} files, {1} methods; folders entered: {2}" -f $walk.Count, $listener.Methods.Count,
    (($entries.GetEnumerator() | Sort-Object Value -Descending | ForEach-Object { "$($_.Key) $($_.Value)x" }) -join ', ')) -InformationAction Continue

using System.Collections.Immutable;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace TokenAuth.Module.Tests;

public sealed record ParameterInfo(string Name, string Set, bool Mandatory, bool FromPipeline, bool FromPipelineByPropertyName, IReadOnlyList<string> OtherAttributes);

public sealed record CmdletInfo(string Name, string TypeName, bool SupportsShouldProcess, IReadOnlyList<ParameterInfo> Parameters, IReadOnlyList<string> OutputTypes)
{
    public IEnumerable<string> ParameterNames => Parameters.Select(parameter => parameter.Name).Distinct();
}

/// <summary>
/// Reads [Cmdlet], [Parameter] and [OutputType] from the compiled assembly's metadata, without loading it:
/// System.Management.Automation is not on this machine, only PowerShell can run the cmdlets.
/// </summary>
public static class CmdletMetadata
{
    public static IReadOnlyList<CmdletInfo> Read(string assemblyPath)
    {
        using var stream = File.OpenRead(assemblyPath);
        using var pe = new PEReader(stream);
        var reader = pe.GetMetadataReader();
        var provider = new TypeNames();
        var result = new List<CmdletInfo>();
        foreach (var handle in reader.TypeDefinitions)
        {
            var type = reader.GetTypeDefinition(handle);
            var cmdlet = Attributes(reader, type.GetCustomAttributes(), provider).FirstOrDefault(a => a.Name == "CmdletAttribute");
            if (cmdlet.Name == null)
            {
                continue;
            }

            var parameters = new List<ParameterInfo>();
            for (var current = (TypeDefinitionHandle?)handle; current != null; current = BaseInAssembly(reader, current.Value))
            {
                foreach (var propertyHandle in reader.GetTypeDefinition(current.Value).GetProperties())
                {
                    var property = reader.GetPropertyDefinition(propertyHandle);
                    var attributes = Attributes(reader, property.GetCustomAttributes(), provider).ToList();
                    var others = attributes.Where(a => a.Name != "ParameterAttribute").Select(a => a.Name).ToList();
                    foreach (var parameter in attributes.Where(a => a.Name == "ParameterAttribute"))
                    {
                        parameters.Add(new ParameterInfo(reader.GetString(property.Name),
                            (string?)Named(parameter.Value, "ParameterSetName") ?? "__AllParameterSets",
                            Named(parameter.Value, "Mandatory") is true,
                            Named(parameter.Value, "ValueFromPipeline") is true,
                            Named(parameter.Value, "ValueFromPipelineByPropertyName") is true,
                            others));
                    }
                }
            }

            var outputTypes = Attributes(reader, type.GetCustomAttributes(), provider).Where(a => a.Name == "OutputTypeAttribute")
                .SelectMany(a => a.Value.FixedArguments.SelectMany(argument => argument.Value is ImmutableArray<CustomAttributeTypedArgument<string>> types
                    ? types.Select(t => (string)t.Value!) : [(string)argument.Value!]))
                .ToList();
            result.Add(new CmdletInfo($"{cmdlet.Value.FixedArguments[0].Value}-{cmdlet.Value.FixedArguments[1].Value}",
                reader.GetString(type.Namespace) + "." + reader.GetString(type.Name), Named(cmdlet.Value, "SupportsShouldProcess") is true, parameters, outputTypes));
        }

        return result;
    }

    /// <summary>The names of the assemblies an assembly references, with their versions.</summary>
    public static IReadOnlyList<(string Name, Version Version)> References(string assemblyPath)
    {
        using var stream = File.OpenRead(assemblyPath);
        using var pe = new PEReader(stream);
        var reader = pe.GetMetadataReader();
        return reader.AssemblyReferences.Select(handle => reader.GetAssemblyReference(handle)).Select(reference => (reader.GetString(reference.Name), reference.Version)).ToList();
    }

    private static object? Named(CustomAttributeValue<string> value, string name) => value.NamedArguments.FirstOrDefault(argument => argument.Name == name).Value;

    private static TypeDefinitionHandle? BaseInAssembly(MetadataReader reader, TypeDefinitionHandle handle)
    {
        var baseType = reader.GetTypeDefinition(handle).BaseType;
        return baseType.Kind == HandleKind.TypeDefinition ? (TypeDefinitionHandle)baseType : null;
    }

    private static IEnumerable<(string Name, CustomAttributeValue<string> Value)> Attributes(MetadataReader reader, CustomAttributeHandleCollection handles, TypeNames provider)
    {
        foreach (var handle in handles)
        {
            var attribute = reader.GetCustomAttribute(handle);
            var name = attribute.Constructor.Kind switch
            {
                HandleKind.MemberReference => TypeNames.NameOf(reader, reader.GetMemberReference((MemberReferenceHandle)attribute.Constructor).Parent),
                HandleKind.MethodDefinition => reader.GetString(reader.GetTypeDefinition(reader.GetMethodDefinition((MethodDefinitionHandle)attribute.Constructor).GetDeclaringType()).Name),
                _ => "",
            };
            yield return (name, attribute.DecodeValue(provider));
        }
    }

    private sealed class TypeNames : ICustomAttributeTypeProvider<string>
    {
        public static string NameOf(MetadataReader reader, EntityHandle handle) => handle.Kind switch
        {
            HandleKind.TypeReference => reader.GetString(reader.GetTypeReference((TypeReferenceHandle)handle).Name),
            HandleKind.TypeDefinition => reader.GetString(reader.GetTypeDefinition((TypeDefinitionHandle)handle).Name),
            _ => "",
        };

        public string GetPrimitiveType(PrimitiveTypeCode typeCode) => typeCode.ToString();

        public string GetSystemType() => "System.Type";

        public string GetSZArrayType(string elementType) => elementType + "[]";

        public string GetTypeFromDefinition(MetadataReader metadata, TypeDefinitionHandle handle, byte rawTypeKind)
        {
            var type = metadata.GetTypeDefinition(handle);
            return metadata.GetString(type.Namespace) + "." + metadata.GetString(type.Name);
        }

        public string GetTypeFromReference(MetadataReader metadata, TypeReferenceHandle handle, byte rawTypeKind)
        {
            var type = metadata.GetTypeReference(handle);
            return metadata.GetString(type.Namespace) + "." + metadata.GetString(type.Name);
        }

        public string GetTypeFromSerializedName(string name) => name.Split(',')[0];

        // Every enum these attributes use (ConfirmImpact) is an int.
        public PrimitiveTypeCode GetUnderlyingEnumType(string type) => PrimitiveTypeCode.Int32;

        public bool IsSystemType(string type) => type == "System.Type";
    }
}

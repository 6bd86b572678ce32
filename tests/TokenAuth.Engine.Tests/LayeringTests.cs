using System.Reflection;
using System.Reflection.Emit;
using Xunit;

namespace TokenAuth.Tests;

/// <summary>
/// The engine's folders are layers, and each imports only from the layers below it. Read from the compiled engine:
/// every type's base, interfaces, fields, signatures and attributes, and the locals, caught exceptions and every type,
/// method and field its method bodies name (lambdas and async state machines are nested types, so they count for the
/// type that holds them).
/// </summary>
public sealed class LayeringTests
{
    /// <summary>The layers, lowest first. Layers on one rank (Errors and Logging) know nothing of each other.</summary>
    internal static readonly string[][] Layers =
    [
        ["Errors", "Logging"],
        ["Json"],
        ["Http"],
        ["Options"],
        ["Providers"],
        ["Credentials"],
        ["Tokens"],
        ["Requests"],
        ["Engine"],
    ];

    private static readonly Assembly EngineAssembly = typeof(TokenAuthEngine).Assembly;

    [Fact]
    public void Every_folder_imports_only_from_the_layers_below_it()
    {
        var upward = UpwardReferences(EngineAssembly.GetTypes());

        Assert.True(upward.Count == 0, "Upward references in the engine:" + Environment.NewLine + string.Join(Environment.NewLine, upward));
    }

    [Fact]
    public void Every_engine_type_is_in_a_layer()
    {
        var placed = new HashSet<string>(Layers.SelectMany(rank => rank));
        var unplaced = EngineAssembly.GetTypes().Where(IsOurs).Select(Outermost).Distinct()
            .Where(type => !placed.Contains(LayerOf(type))).Select(type => type.FullName).ToList();

        Assert.True(unplaced.Count == 0, "Types in no layer: " + string.Join(", ", unplaced));
    }

    [Fact]
    public void The_reader_sees_what_method_bodies_and_their_lambdas_reference()
    {
        // Neither type appears in a signature or field of these types, only in code: the check above must see such uses,
        // else it could pass by seeing nothing.
        var shown = ReferencesOf(typeof(TokenAuth.Tokens.TokenCallContext)).ToList();
        var fetching = ReferencesOf(typeof(TokenAuth.Tokens.TokenManager)).Concat(typeof(TokenAuth.Tokens.TokenManager).GetNestedTypes(Declared).SelectMany(ReferencesOf)).ToList();

        Assert.Contains(shown, reference => reference.Target == typeof(TokenAuth.Logging.Redaction) && reference.Where == "method Shown");
        Assert.Contains(fetching, reference => reference.Target == typeof(TokenAuth.Credentials.AssertionFetch));
    }

    [Fact]
    public void The_reader_sees_locals_caught_exceptions_and_attributes()
    {
        var seen = ReferencesOf(typeof(NamesTypesOnlyWhereSignaturesDoNot)).Select(reference => reference.Target).ToList();

        Assert.Contains(typeof(System.Text.StringBuilder), seen);
        Assert.Contains(typeof(TimeoutException), seen);
        Assert.Contains(typeof(System.ComponentModel.DescriptionAttribute), seen);
        Assert.Contains(typeof(System.ComponentModel.LocalizableAttribute), seen);
    }

    /// <summary>Each type it names appears in no signature or field: only as a local, a caught exception or an attribute.</summary>
    [System.ComponentModel.Description("named only as an attribute")]
    private sealed class NamesTypesOnlyWhereSignaturesDoNot
    {
        public static int Run([System.ComponentModel.Localizable(false)] object? value)
        {
            System.Text.StringBuilder? unused = null;
            try
            {
                return (unused == null ? 1 : 0) + (value?.GetHashCode() ?? 0);
            }
            catch (TimeoutException)
            {
                return 0;
            }
        }
    }

    /// <summary>The layer of one of the engine's own types: its folder, or for the root namespace the façade or its options.</summary>
    internal static string LayerOf(Type type)
    {
        type = Outermost(type);
        if (type.Namespace == "TokenAuth")
        {
            return type == typeof(TokenAuthOptions) ? "Options" : "Engine";
        }

        return type.Namespace!.Substring("TokenAuth.".Length);
    }

    private static int RankOf(string layer) => Array.FindIndex(Layers, rank => rank.Contains(layer));

    internal static List<string> UpwardReferences(IEnumerable<Type> types)
    {
        var upward = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var type in types.Where(IsOurs))
        {
            var from = LayerOf(type);
            foreach (var (target, where) in ReferencesOf(type))
            {
                if (!IsOurs(target))
                {
                    continue;
                }

                var to = LayerOf(target);
                if (to != from && RankOf(to) >= RankOf(from))
                {
                    upward.Add($"{Outermost(type).FullName} ({from}) uses {Outermost(target).FullName} ({to}) in {where}");
                }
            }
        }

        return upward.ToList();
    }

    /// <summary>The engine's own types, in a TokenAuth namespace (not the compiler's helpers nor IsExternalInit's polyfill).</summary>
    private static bool IsOurs(Type type) =>
        type.Assembly == EngineAssembly && Outermost(type).Namespace is { } name && (name == "TokenAuth" || name.StartsWith("TokenAuth.", StringComparison.Ordinal));

    private static Type Outermost(Type type)
    {
        while (type.DeclaringType != null)
        {
            type = type.DeclaringType;
        }

        return type;
    }

    private const BindingFlags Declared = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    internal static IEnumerable<(Type Target, string Where)> ReferencesOf(Type type)
    {
        var found = new List<(Type, string)>();
        void Add(Type? used, string where)
        {
            foreach (var part in Parts(used))
            {
                found.Add((part, where));
            }
        }

        void AddAttributes(IEnumerable<CustomAttributeData> attributes, string where)
        {
            foreach (var attribute in attributes)
            {
                Add(attribute.AttributeType, where);
            }
        }

        Add(type.BaseType, "its base type");
        AddAttributes(type.CustomAttributes, "its attributes");
        foreach (var contract in type.GetInterfaces())
        {
            Add(contract, "its interfaces");
        }

        foreach (var field in type.GetFields(Declared))
        {
            Add(field.FieldType, "field " + field.Name);
            AddAttributes(field.CustomAttributes, "field " + field.Name);
        }

        foreach (var method in type.GetMethods(Declared).Cast<MethodBase>().Concat(type.GetConstructors(Declared)))
        {
            var where = (method.IsConstructor ? "a constructor" : "method " + method.Name) + (type.DeclaringType != null ? " of " + type.Name : "");
            if (method is MethodInfo info)
            {
                Add(info.ReturnType, where);
            }

            AddAttributes(method.CustomAttributes, where);
            foreach (var parameter in method.GetParameters())
            {
                Add(parameter.ParameterType, where);
                AddAttributes(parameter.CustomAttributes, where);
            }

            foreach (var used in BodyReferences(method))
            {
                Add(used, where);
            }
        }

        return found;
    }

    /// <summary>A type and what it is made of: array elements, by-ref and pointer targets, generic arguments.</summary>
    private static IEnumerable<Type> Parts(Type? type)
    {
        if (type == null || type.IsGenericParameter)
        {
            yield break;
        }

        if (type.HasElementType)
        {
            foreach (var part in Parts(type.GetElementType()))
            {
                yield return part;
            }

            yield break;
        }

        yield return type.IsGenericType ? type.GetGenericTypeDefinition() : type;
        if (type.IsGenericType)
        {
            foreach (var part in type.GetGenericArguments().SelectMany(Parts))
            {
                yield return part;
            }
        }
    }

    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes).GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(field => (OpCode)field.GetValue(null)!).ToDictionary(code => code.Value);

    /// <summary>The types a method body names: its locals, the exceptions it catches, and every type, method and field token in its IL.</summary>
    private static IEnumerable<Type> BodyReferences(MethodBase method)
    {
        var body = method.GetMethodBody();
        var il = body?.GetILAsByteArray();
        if (il == null)
        {
            yield break;
        }

        foreach (var local in body!.LocalVariables)
        {
            yield return local.LocalType;
        }

        foreach (var clause in body.ExceptionHandlingClauses.Where(clause => clause.Flags == ExceptionHandlingClauseOptions.Clause))
        {
            yield return clause.CatchType!;
        }

        var typeArguments = method.DeclaringType!.IsGenericType ? method.DeclaringType.GetGenericArguments() : null;
        var methodArguments = method.IsGenericMethod ? method.GetGenericArguments() : null;
        var position = 0;
        while (position < il.Length)
        {
            short value = il[position++];
            if (value == 0xFE)
            {
                value = (short)(0xFE00 | il[position++]);
            }

            var code = OpCodesByValue[value];
            switch (code.OperandType)
            {
                case OperandType.InlineMethod:
                case OperandType.InlineField:
                case OperandType.InlineType:
                case OperandType.InlineTok:
                    var member = method.Module.ResolveMember(BitConverter.ToInt32(il, position), typeArguments, methodArguments);
                    foreach (var used in TypesOf(member))
                    {
                        yield return used;
                    }

                    position += 4;
                    break;
                case OperandType.InlineSwitch:
                    position += 4 + (4 * BitConverter.ToInt32(il, position));
                    break;
                default:
                    position += OperandSize(code.OperandType);
                    break;
            }
        }
    }

    private static IEnumerable<Type> TypesOf(MemberInfo? member)
    {
        switch (member)
        {
            case Type type:
                yield return type;
                break;
            case FieldInfo field:
                yield return field.DeclaringType!;
                yield return field.FieldType;
                break;
            case MethodBase method:
                yield return method.DeclaringType!;
                if (method is MethodInfo info)
                {
                    yield return info.ReturnType;
                    if (info.IsGenericMethod)
                    {
                        foreach (var argument in info.GetGenericArguments())
                        {
                            yield return argument;
                        }
                    }
                }

                foreach (var parameter in method.GetParameters())
                {
                    yield return parameter.ParameterType;
                }

                break;
        }
    }

    private static int OperandSize(OperandType operand) => operand switch
    {
        OperandType.InlineNone => 0,
        OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
        OperandType.InlineVar => 2,
        OperandType.InlineI8 or OperandType.InlineR => 8,
        _ => 4,
    };
}

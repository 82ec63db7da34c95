import { create, createRegistry, toBinary, type DescFile, type DescService, type MessageInitShape } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import { type ServerReflection, ServerReflectionResponseSchema, type ServerReflectionRequest } from "../gen/grpc/reflection/v1/reflection_pb";

const NOT_FOUND = 5;

/** grpc.reflection.v1 over the generated descriptors, so buf curl and grpcurl need no schema. */
export function reflectionService(services: DescService[]): ServiceImpl<typeof ServerReflection> {
  const files = new Map<string, DescFile>();
  const collect = (f: DescFile) => {
    if (files.has(`${f.name}.proto`)) return;
    files.set(`${f.name}.proto`, f);
    f.dependencies.forEach(collect);
  };
  services.forEach((s) => collect(s.file));
  const registry = createRegistry(...files.values());

  /** The file and everything it imports, as serialized FileDescriptorProtos. */
  const withDeps = (f: DescFile): Uint8Array[] => {
    const out = new Map<string, Uint8Array>();
    const walk = (d: DescFile) => {
      if (out.has(d.name)) return;
      out.set(d.name, toBinary(FileDescriptorProtoSchema, d.proto));
      d.dependencies.forEach(walk);
    };
    walk(f);
    return [...out.values()];
  };

  function answer(req: ServerReflectionRequest): MessageInitShape<typeof ServerReflectionResponseSchema>["messageResponse"] {
    const m = req.messageRequest;
    const error = (message: string) => ({ case: "errorResponse" as const, value: { errorCode: NOT_FOUND, errorMessage: message } });
    switch (m.case) {
      case "listServices":
        return { case: "listServicesResponse", value: { service: services.map((s) => ({ name: s.typeName })) } };
      case "fileByFilename": {
        const f = files.get(m.value);
        return f ? { case: "fileDescriptorResponse", value: { fileDescriptorProto: withDeps(f) } } : error(`file ${m.value} not found`);
      }
      case "fileContainingSymbol": {
        const symbol = m.value.replace(/^\./, "");
        const desc = registry.get(symbol) ?? registry.get(symbol.slice(0, symbol.lastIndexOf(".")));
        const file = desc && "file" in desc ? desc.file : undefined;
        return file ? { case: "fileDescriptorResponse", value: { fileDescriptorProto: withDeps(file) } } : error(`symbol ${symbol} not found`);
      }
      case "allExtensionNumbersOfType":
        return { case: "allExtensionNumbersResponse", value: { baseTypeName: m.value, extensionNumber: [] } };
      default:
        return error("extensions are not served by reflection here");
    }
  }

  return {
    async *serverReflectionInfo(requests) {
      for await (const req of requests) {
        yield create(ServerReflectionResponseSchema, { validHost: req.host, originalRequest: req, messageResponse: answer(req) });
      }
    },
  };
}

# policies.cmake - the flush policies of the core's descriptor, read as text
# at configure time (ternrig is not built yet), for the build rules that make
# one target or one test per policy.  harness/core/policies.h stays the one
# place the policies are written; this only reads it.
#
# ternrig_read_policies() sets, in the caller's scope:
#   TERNRIG_POLICIES          every policy's name, in enum order
#                             (`ternrig policies`)
#   TERNRIG_POLICY_<name>_ID  its enum name, POLICY_<ID> (fuzz_policy.c)
#   TERNRIG_POLICY_<name>_FACTS  the POLICY_FACT_* bits its entry lists
#   TERNRIG_POLICIES_NO_BPF   the names whose facts hold none of core.h's
#                             POLICY_FACTS_KERNEL_ONLY: those ternrig fs
#                             runs without BPF (`ternrig policies --no-bpf`)
#
# The text it relies on: each entry's first line holds
# `POLICY_ENTRY(ID, "name",` with ID the name in capitals, '-' as '_' (the
# scripts derive one from the other); an entry's facts are the
# POLICY_FACT_* words on its lines, up to the next entry; the kernel-only
# set is `#define POLICY_FACTS_KERNEL_ONLY (...)` in core.h.  Anything else
# stops the configure with the line it could not read.
# tests/policy_lists.sh checks the result against `ternrig policies`.

get_filename_component(TERNRIG_POLICY_LIST
    ${CMAKE_CURRENT_LIST_DIR}/../harness/core/policies.h ABSOLUTE)
get_filename_component(TERNRIG_CORE_H
    ${CMAKE_CURRENT_LIST_DIR}/../harness/core/core.h ABSOLUTE)

function(ternrig_read_policies)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
               ${TERNRIG_POLICY_LIST} ${TERNRIG_CORE_H})
  file(READ ${TERNRIG_CORE_H} core)
  string(REGEX MATCH "#define POLICY_FACTS_KERNEL_ONLY[^)]*\\)" kernel_only
               "${core}")
  string(REGEX MATCHALL "POLICY_FACT_[A-Z][A-Z_]*" kernel_only
               "${kernel_only}")
  if(NOT kernel_only)
    message(FATAL_ERROR "${TERNRIG_CORE_H}: no "
                        "#define POLICY_FACTS_KERNEL_ONLY (POLICY_FACT_...)")
  endif()

  file(READ ${TERNRIG_POLICY_LIST} text)
  # one list element per line: a ';' in a summary must not split a line,
  # nor a '[' or '\' keep two together (CMake lists); only words matter here
  string(REPLACE ";" "," text "${text}")
  string(REPLACE "[" "(" text "${text}")
  string(REPLACE "]" ")" text "${text}")
  string(REPLACE "\\" "/" text "${text}")
  string(REPLACE "\n" ";" lines "${text}")
  set(names "")
  set(name "")
  foreach(line IN LISTS lines)
    if(line MATCHES "^POLICY_ENTRY\\(")
      if(NOT line MATCHES "^POLICY_ENTRY\\(([A-Z0-9_]+), *\"([a-z0-9-]+)\",")
        message(FATAL_ERROR "${TERNRIG_POLICY_LIST}: want POLICY_ENTRY(ID, "
                            "\"name\", on one line, got: ${line}")
      endif()
      set(name ${CMAKE_MATCH_2})
      string(REPLACE "-" "_" id "${name}")
      string(TOUPPER "${id}" id)
      if(NOT id STREQUAL CMAKE_MATCH_1)
        message(FATAL_ERROR "${TERNRIG_POLICY_LIST}: the ID of '${name}' "
                            "must be ${id} (scripts derive it from the name)")
      endif()
      list(APPEND names ${name})
      set(TERNRIG_POLICY_${name}_ID POLICY_${id} PARENT_SCOPE)
      set(facts_${name} "")
    elseif(name STREQUAL "" OR line MATCHES "^ *(/\\*|\\*|//)")
      continue() # before the first entry, or a comment
    endif()
    string(REGEX MATCHALL "POLICY_FACT_[A-Z][A-Z_]*" f "${line}")
    list(APPEND facts_${name} ${f})
  endforeach()
  if(NOT names)
    message(FATAL_ERROR "${TERNRIG_POLICY_LIST}: no POLICY_ENTRY line")
  endif()

  set(no_bpf "")
  foreach(name IN LISTS names)
    set(TERNRIG_POLICY_${name}_FACTS ${facts_${name}} PARENT_SCOPE)
    set(kernel FALSE)
    foreach(f IN LISTS facts_${name})
      if(f IN_LIST kernel_only)
        set(kernel TRUE)
      endif()
    endforeach()
    if(NOT kernel)
      list(APPEND no_bpf ${name})
    endif()
  endforeach()
  set(TERNRIG_POLICIES ${names} PARENT_SCOPE)
  set(TERNRIG_POLICIES_NO_BPF ${no_bpf} PARENT_SCOPE)
endfunction()

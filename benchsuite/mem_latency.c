/* Memory latency and misses in flight: random pointer chases over 1 GiB (huge pages advised),
   one cache line per load, with 1 to 32 independent chains. Measurement aid for
   benchsuite/NOTES.md ("Subword CBOW on this machine"). cc -O2 mem_latency.c && ./a.out */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <stdint.h>
#define N (1ull<<27) /* 128M x 8B = 1 GiB */
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
int main(){
  uint64_t *a; if (posix_memalign((void**)&a, 1<<21, N*8)) return 1; madvise(a, N*8, MADV_HUGEPAGE);
  uint64_t stride = 8; /* one per cache line */
  uint64_t M = N/stride;
  uint64_t *perm = malloc(M*8); for (uint64_t i=0;i<M;i++) perm[i]=i;
  srand(1); for (uint64_t i=M-1;i>0;i--){uint64_t j=((uint64_t)rand()<<16 ^ rand())%(i+1); uint64_t t=perm[i];perm[i]=perm[j];perm[j]=t;}
  for (uint64_t i=0;i<M;i++) a[perm[i]*stride] = perm[(i+1)%M]*stride;
  for (int chains=1; chains<=32; chains*=2){
    uint64_t p[32]; for(int c=0;c<chains;c++) p[c]=perm[(c*M)/chains]*stride;
    long steps = 4000000/chains; double t0=now();
    for (long s=0;s<steps;s++) for(int c=0;c<chains;c++) p[c]=a[p[c]];
    double t=now()-t0; uint64_t x=0; for(int c=0;c<chains;c++) x^=p[c];
    printf("chains %2d: %.1f ns per load, %.1f lines/us (%lu)\n", chains, t/(steps*chains)*1e9, steps*chains/t/1e6, x&1);
  }
}
